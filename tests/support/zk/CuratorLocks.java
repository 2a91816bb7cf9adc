import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.RetryOneTime;

// Takes one Curator lock and holds it until told: a real Curator client for Fulcrum's tests.
// usage: CuratorLocks RECIPE HOSTS PATH [MAX_LEASES]
// RECIPE: mutex | revocable | read | write | semaphore
// Prints "acquired" once it holds; "release" on stdin (or end of input) releases it and exits.
// "revocable" prints "revoke-requested" and releases when someone writes __REVOKE__ to its node.
public class CuratorLocks {
    public static void main(String[] args) throws Exception {
        String recipe = args[0];
        String hosts = args[1];
        String path = args[2];
        int maxLeases = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        CuratorFramework client = CuratorFrameworkFactory.newClient(hosts, 3000, 15000, new RetryOneTime(200));
        client.start();
        client.blockUntilConnected();

        BlockingQueue<String> commands = new LinkedBlockingQueue<>();
        Thread input = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.trim().equals("release"))
                        break;
                }
            } catch (Exception ignored) {
            }
            commands.add("release");
        });
        input.setDaemon(true);
        input.start();

        System.out.println("waiting");
        System.out.flush();
        InterProcessMutex mutex = null;
        InterProcessSemaphoreV2 semaphore = null;
        Lease lease = null;
        switch (recipe) {
        case "mutex":
            mutex = new InterProcessMutex(client, path);
            break;
        case "revocable":
            mutex = new InterProcessMutex(client, path);
            mutex.makeRevocable(lock -> {
                System.out.println("revoke-requested");
                System.out.flush();
                commands.add("release");
            });
            break;
        case "read":
            mutex = new InterProcessReadWriteLock(client, path).readLock();
            break;
        case "write":
            mutex = new InterProcessReadWriteLock(client, path).writeLock();
            break;
        case "semaphore":
            semaphore = new InterProcessSemaphoreV2(client, path, maxLeases);
            break;
        default:
            throw new IllegalArgumentException("unknown recipe " + recipe);
        }
        if (mutex != null)
            mutex.acquire();
        else
            lease = semaphore.acquire();
        System.out.println("acquired");
        System.out.flush();
        commands.take();
        if (mutex != null)
            mutex.release();
        else
            semaphore.returnLease(lease);
        System.out.println("released");
        System.out.flush();
        client.close();
    }
}
