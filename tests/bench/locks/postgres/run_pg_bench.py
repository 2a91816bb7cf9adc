#!/usr/bin/python3
"""PostgreSQL advisory lock inspection benchmark (prints figures, asserts nothing).

usage: run_pg_bench.py BUILD_DIR [HOLDERS LOCKS WAITERS [ROUNDS]]
Starts Debian's PostgreSQL (initdb + postgres, as nobody when run as root) on a free loopback
port in a temporary directory, then, from this process through libpq (ctypes): HOLDERS sessions
(default 200) holding LOCKS advisory locks between them (default 10 000) and WAITERS more
sessions (default 1 000) each waiting in pg_advisory_lock for one of the held keys. Then, taking
turns, ROUNDS times (default 5):
  - Fulcrum: `fulcrumctl locks list --postgres URL --json` (process start, connect, one pass:
    every advisory lock with its holder, waiters, the holders' other locks, and the blocking
    chains; JSON out);
  - the floor: the PostgreSQL wiki's lock-monitoring query (wiki.postgresql.org/wiki/Lock_Monitoring,
    "blocked_locks ... blocking_locks") run bare by `psql -X -At -c` (process start, connect, query),
    and run bare through libpq on an open connection (the query alone).
For each: wall time and the server's CPU time (the postmaster and every backend, reaped ones
included). Then fulcrumd polling the same server every second for 20 s: the CPU time of its
backend, as a share of one core.
"""
import ctypes
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from benchprocess import die_with_parent, free_port, median, run  # noqa: E402

WIKI_QUERY = """SELECT blocked_locks.pid AS blocked_pid, blocked_activity.usename AS blocked_user,
 blocking_locks.pid AS blocking_pid, blocking_activity.usename AS blocking_user,
 blocked_activity.query AS blocked_statement, blocking_activity.query AS current_statement_in_blocking_process
FROM pg_catalog.pg_locks blocked_locks
JOIN pg_catalog.pg_stat_activity blocked_activity ON blocked_activity.pid = blocked_locks.pid
JOIN pg_catalog.pg_locks blocking_locks ON blocking_locks.locktype = blocked_locks.locktype
 AND blocking_locks.database IS NOT DISTINCT FROM blocked_locks.database
 AND blocking_locks.relation IS NOT DISTINCT FROM blocked_locks.relation
 AND blocking_locks.page IS NOT DISTINCT FROM blocked_locks.page
 AND blocking_locks.tuple IS NOT DISTINCT FROM blocked_locks.tuple
 AND blocking_locks.virtualxid IS NOT DISTINCT FROM blocked_locks.virtualxid
 AND blocking_locks.transactionid IS NOT DISTINCT FROM blocked_locks.transactionid
 AND blocking_locks.classid IS NOT DISTINCT FROM blocked_locks.classid
 AND blocking_locks.objid IS NOT DISTINCT FROM blocked_locks.objid
 AND blocking_locks.objsubid IS NOT DISTINCT FROM blocked_locks.objsubid
 AND blocking_locks.pid != blocked_locks.pid
JOIN pg_catalog.pg_stat_activity blocking_activity ON blocking_activity.pid = blocking_locks.pid
WHERE NOT blocked_locks.granted"""

pq = ctypes.CDLL("libpq.so.5")
pq.PQconnectdb.restype = ctypes.c_void_p
pq.PQconnectdb.argtypes = [ctypes.c_char_p]
pq.PQstatus.argtypes = [ctypes.c_void_p]
pq.PQerrorMessage.restype = ctypes.c_char_p
pq.PQerrorMessage.argtypes = [ctypes.c_void_p]
pq.PQexec.restype = ctypes.c_void_p
pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
pq.PQresultStatus.argtypes = [ctypes.c_void_p]
pq.PQntuples.argtypes = [ctypes.c_void_p]
pq.PQnfields.argtypes = [ctypes.c_void_p]
pq.PQgetvalue.restype = ctypes.c_char_p
pq.PQgetvalue.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
pq.PQclear.argtypes = [ctypes.c_void_p]
pq.PQsendQuery.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
pq.PQbackendPID.argtypes = [ctypes.c_void_p]
pq.PQfinish.argtypes = [ctypes.c_void_p]


def connect(conninfo):
    conn = pq.PQconnectdb(conninfo.encode())
    if pq.PQstatus(conn) != 0:
        sys.exit("connect: " + pq.PQerrorMessage(conn).decode())
    return conn


def execute(conn, sql):
    result = pq.PQexec(conn, sql.encode())
    if pq.PQresultStatus(result) not in (1, 2):  # COMMAND_OK, TUPLES_OK
        message = pq.PQerrorMessage(conn).decode()
        pq.PQclear(result)
        sys.exit("%s: %s" % (sql[:60], message))
    rows = [pq.PQgetvalue(result, i, 0).decode() for i in range(pq.PQntuples(result))]
    pq.PQclear(result)
    return rows


def execute_rows(conn, sql):
    """Every row, every column, as text."""
    result = pq.PQexec(conn, sql.encode())
    if pq.PQresultStatus(result) != 2:
        message = pq.PQerrorMessage(conn).decode()
        pq.PQclear(result)
        sys.exit("%s: %s" % (sql[:60], message))
    rows = [[(pq.PQgetvalue(result, i, j) or b"").decode() for j in range(pq.PQnfields(result))] for i in range(pq.PQntuples(result))]
    pq.PQclear(result)
    return rows


def process_cpu(pid, children=False):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu(postmaster):
    """The whole server: the postmaster, every live backend, and those already reaped. A backend
    that has exited but is not reaped yet shows no CPU time in /proc: wait until it is reaped
    (its time is then in the postmaster's cutime), or a tool's own backend would count as 0."""
    # A backend whose client just left may still be on its way out, its time not yet anywhere
    # /proc shows: give it a moment (outside the timed wall).
    time.sleep(0.3)
    for _ in range(100):
        total = process_cpu(postmaster, children=True)
        exiting = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == postmaster:
                    exiting = exiting or fields[0] in ("Z", "X")
                    total += process_cpu(int(entry))
            except (OSError, ValueError, IndexError):
                pass
        if not exiting:
            return total
        time.sleep(0.02)
    return total


def run_measured(command, postmaster):
    """benchprocess.run with the whole server's CPU (the work is in a backend that exits)."""
    return run(command, postmaster, cpu=postgres_cpu)


def main():
    build = sys.argv[1]
    holders = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    locks = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    waiters = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    fulcrumctl = os.path.join(build, "bin", "fulcrumctl")
    fulcrumd = os.path.join(build, "bin", "fulcrumd")
    bindir = sorted((d for d in os.listdir("/usr/lib/postgresql")), key=int)[-1]
    bindir = "/usr/lib/postgresql/%s/bin" % bindir
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--pdeathsig=SIGKILL", "--"] if os.geteuid() == 0 else []
    tmp = tempfile.mkdtemp(prefix="fulcrum-pgbench-", dir="/tmp")
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(tmp, nobody.pw_uid, nobody.pw_gid)
    server = None
    try:
        data = os.path.join(tmp, "data")
        subprocess.run(as_nobody + [bindir + "/initdb", "-D", data, "-U", "postgres", "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync"],
                       check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        sessions = holders + waiters
        server = subprocess.Popen(as_nobody + [bindir + "/postgres", "-D", data, "-k", tmp, "-p", str(port),
                                               "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                                               # Counts fulcrumd's statements without running any meanwhile.
                                               "-c", "shared_preload_libraries=pg_stat_statements",
                                               "-c", "max_connections=%d" % (sessions + 50),
                                               "-c", "max_locks_per_transaction=%d" % max(64, 2 * locks // max(holders, 1))],
                                  stdout=open(os.path.join(tmp, "postgres.log"), "w"), stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        url = "postgres://postgres@127.0.0.1:%d/postgres" % port
        deadline = time.monotonic() + 30
        while subprocess.run([bindir + "/pg_isready", "-h", "127.0.0.1", "-p", str(port), "-q"]).returncode != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("postgres did not start: " + open(os.path.join(tmp, "postgres.log")).read()[-2000:])
            time.sleep(0.2)
        postmaster = server.pid
        started = time.monotonic()
        conninfo = "host=127.0.0.1 port=%d user=postgres dbname=postgres application_name=bench-session" % port
        holding = []
        per = locks // holders
        for h in range(holders):
            conn = connect(conninfo)
            execute(conn, "SELECT count(pg_advisory_lock(k)) FROM generate_series(%d, %d) k" % (h * per + 1, (h + 1) * per))
            holding.append(conn)
        waiting = []
        for w in range(waiters):
            conn = connect(conninfo)
            if not pq.PQsendQuery(conn, ("SELECT pg_advisory_lock(%d)" % (w % (holders * per) + 1)).encode()):
                sys.exit("send: " + pq.PQerrorMessage(conn).decode())
            waiting.append(conn)
        control = connect(conninfo.replace("bench-session", "bench-floor"))
        execute(control, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        while int(execute(control, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")[0]) < waiters:
            time.sleep(0.1)
        held = execute(control, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")[0]
        print("populated sessions=%d holding=%d advisory locks=%s waiting=%d in %.1f s" % (
            sessions, holders, held, waiters, time.monotonic() - started))

        fulcrum_command = [fulcrumctl, "locks", "list", "--postgres", url, "--json", "--timeout", "60s"]
        psql_command = ["/usr/bin/psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-c", WIKI_QUERY]
        run_measured(fulcrum_command, postmaster)  # warm once, untimed
        fulcrums, floors, bare = [], [], []
        floor_pid = pq.PQbackendPID(control)
        for _ in range(rounds):
            floors.append(run_measured(psql_command, postmaster))
            fulcrums.append(run_measured(fulcrum_command, postmaster))
            cpu_before = process_cpu(floor_pid)
            t0 = time.monotonic()
            rows = len(execute(control, WIKI_QUERY))
            bare.append({"wall": time.monotonic() - t0, "server_cpu": process_cpu(floor_pid) - cpu_before, "rows": rows})
        table = subprocess.run([fulcrumctl, "locks", "list", "--postgres", url, "--timeout", "60s"], capture_output=True, text=True).stdout
        pass_ms = re.findall(r"read in (\d+) ms", table)
        for f, o, b in zip(fulcrums, floors, bare):
            print("round: fulcrumctl %.3f s (server %.3f s), psql wiki query %.3f s (server %.3f s), bare libpq %.3f s (server %.3f s)" % (
                f["wall"], f["server_cpu"], o["wall"], o["server_cpu"], b["wall"], b["server_cpu"]))
        fulcrum, floor = median(fulcrums), median(floors)
        b = sorted(bare, key=lambda r: r["wall"])[len(bare) // 2]
        rows = json.loads(fulcrum["out"])
        advisory = [r for r in rows if r["kind"] == "pg-advisory"]
        print("%-52s %10s %14s" % ("", "wall s", "server CPU s"))
        for name, r in (("Fulcrum (fulcrumctl locks list --postgres --json)", fulcrum),
                        ("wiki lock-monitoring query (psql -c)", floor),
                        ("wiki lock-monitoring query (libpq, open session)", b)):
            print("%-52s %10.3f %14.3f" % (name, r["wall"], r["server_cpu"]))
        print("  fulcrum: locks=%d waiters=%d; its pass alone (as fulcrumctl reports it): %s ms" % (
            len(advisory), sum(len(r.get("waiters", [])) for r in advisory), pass_ms[-1] if pass_ms else "?"))
        print("  wiki query: %d blocked/blocking pairs (holders that nobody waits for are not in it)" % b["rows"])
        print("ratio fulcrum/psql floor: wall %.2fx, server CPU %.2fx" % (
            fulcrum["wall"] / floor["wall"], fulcrum["server_cpu"] / max(floor["server_cpu"], 0.001)))
        if pass_ms:
            print("ratio fulcrum pass/bare libpq query: wall %.2fx" % (int(pass_ms[-1]) / 1000 / max(b["wall"], 0.0001)))

        # fulcrumd polling every second: its backend's CPU over 20 s.
        config = os.path.join(tmp, "fulcrum.json")
        with open(config, "w") as f:
            json.dump({"locks": [{"backend": "postgres", "name": "bench", "url": url, "poll_interval": "1s", "query_timeout": "60s"}],
                       "state_dir": os.path.join(tmp, "state")}, f)
        daemon = subprocess.Popen([fulcrumd, "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        try:
            pid = None
            deadline = time.monotonic() + 30
            while not pid and time.monotonic() < deadline:
                found = execute(control, "SELECT pid FROM pg_stat_activity WHERE application_name = 'fulcrum'")
                pid = int(found[0]) if found else None
                time.sleep(0.2)
            if not pid:
                print("fulcrumd did not connect within 30 s")
            else:
                time.sleep(2)
                for label, churn in (("quiet sessions (the population above, idle or waiting)", False),
                                     ("busy server (one more session runs SELECT 1 five times a second)", True)):
                    stop = threading.Event()
                    worker = None
                    if churn:
                        busy = connect(conninfo.replace("bench-session", "bench-churn"))

                        def run_churn():
                            while not stop.is_set():
                                execute(busy, "SELECT 1")
                                time.sleep(0.2)
                        worker = threading.Thread(target=run_churn)
                        worker.start()
                        time.sleep(2)
                    # Passes counted from the server's side by pg_stat_statements, read at the start and
                    # the end only (a statement run meanwhile would itself be a session doing something):
                    # a full read is the pass statement, a quiet pass the session probe alone.
                    def counts():
                        rows = execute_rows(control, "SELECT left(query, 12), calls FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
                                                     "WHERE r.rolname = 'postgres' AND (query LIKE 'WITH l AS%' OR query LIKE 'SELECT md5(%')")
                        return (sum(int(c) for q, c in rows if q.startswith("WITH l AS")), sum(int(c) for q, c in rows if q.startswith("SELECT md5(")))
                    reads0, probes0 = counts()
                    cpu_before, t0 = process_cpu(pid), time.monotonic()
                    time.sleep(20)
                    elapsed = time.monotonic() - t0
                    share = (process_cpu(pid) - cpu_before) / elapsed
                    stop.set()
                    if worker:
                        worker.join()
                        pq.PQfinish(busy)
                    reads1, probes1 = counts()
                    reads, probes = reads1 - reads0, probes1 - probes0
                    print("fulcrumd, poll_interval 1s, %s: %d passes in %.1f s (%.2f a second; %d read pg_locks, %d found the sessions quiet); "
                          "its backend used %.1f %% of a core" % (label, probes, elapsed, probes / elapsed, reads, probes - reads, 100 * share))
        finally:
            daemon.terminate()
            daemon.wait()
        for conn in holding + waiting + [control]:
            pq.PQfinish(conn)
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
