"""What the lock benchmarks share: a server's CPU time, one timed tool run, free ports."""
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time


def die_with_parent():
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(command, server_pid, cpu=server_cpu_seconds):
    """One run of a tool: wall time, the server's CPU time meanwhile (`cpu` of server_pid; a
    server whose work is done in child processes passes its own), the tool's own CPU time
    (children included) and peak RSS, its output ("out" whole, "says" stripped)."""
    cpu_before = cpu(server_pid)
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    if status != 0:
        sys.exit("%s failed (status %d): %s" % (" ".join(command[:3]), status, output.strip()[:500]))
    return {"wall": wall, "server_cpu": cpu(server_pid) - cpu_before,
            "tool_cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "out": output, "says": output.strip()}


def median(runs):
    """The run with the median wall time (so that its figures belong together)."""
    return sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]


ZOOKEEPER_CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar"


def start_zookeeper(directory):
    """Debian's ZooKeeper on a free loopback port with its data in `directory`, answering
    "ruok" before this returns: (process, "127.0.0.1:PORT"). It dies with this script."""
    port = free_port()
    os.mkdir(os.path.join(directory, "data"))
    with open(os.path.join(directory, "zoo.cfg"), "w") as cfg:
        cfg.write("tickTime=2000\ndataDir=%s/data\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                  "admin.enableServer=false\n4lw.commands.whitelist=ruok\n" % (directory, port))
    server = subprocess.Popen(["java", "-Xmx512m", "-cp", ZOOKEEPER_CLASSPATH, "org.apache.zookeeper.server.ZooKeeperServerMain",
                               os.path.join(directory, "zoo.cfg")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=die_with_parent)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"ruok")
                if s.recv(4) == b"imok":
                    return server, "127.0.0.1:%d" % port
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            sys.exit("ZooKeeper did not start on port %d" % port)
        time.sleep(0.1)
