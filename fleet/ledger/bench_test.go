package ledger_test

import (
	"database/sql"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fleetkey/fleet/ledger"
	"fleetkey/fleet/ledger/ledgertest"
	"fleetkey/fleet/ledger/pgtest"
)

// bigEnv, set to 1, adds the JSON state file at 100 000 vehicles to BenchmarkReadCost: each of its updates rewrites
// about 200 MB, so a read takes some 20 s and the case wants -benchtime 3x.
const bigEnv = "FLEETKEY_BENCH_BIG"

// benchStart is the clock of the benchmarks' histories: the last read of every vehicle is within 8 hours before it.
var benchStart = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// BenchmarkReadCost measures what one read costs the store: the grant's write (ReservedAt) and the outcome's (the
// read's time and its reading merged over the kept one), on one vehicle, the vehicles taken round-robin in a shuffled
// order, in a fleet of 1 000, 10 000 or 100 000 vehicles that each have a history. The stores: the old JSON state file
// (rewritten whole by each update), SQLite and PostgreSQL (with production durability, see durablePostgres).
//
// B-written/read is the bytes handed to write(2) and pwrite(2) for the store's files (see selfWritten, serverWritten),
// with a checkpoint before and after the timed reads so that the write-back of the pages they dirtied counts too.
// B-wal/read is PostgreSQL's WAL (the insert position's advance): the log records, without the rewrites of a
// partly filled WAL page that each commit's flush makes.
//
//	go test ./fleet/ledger -run '^$' -bench 'ReadCost$' -count 3
//	FLEETKEY_BENCH_BIG=1 go test ./fleet/ledger -run '^$' -bench 'ReadCost$/json/100000' -benchtime 3x
func BenchmarkReadCost(b *testing.B) {
	for _, kind := range []string{"json", "sqlite", "postgres"} {
		for _, n := range []int{1_000, 10_000, 100_000} {
			b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
				if kind == "json" && n >= 100_000 && os.Getenv(bigEnv) != "1" {
					b.Skipf("about 20 s a read: set %s=1 and use -benchtime 3x", bigEnv)
				}
				st := histories(n)
				var s *store
				switch kind {
				case "json":
					s = jsonStore(b, st)
				case "sqlite":
					s = sqliteStore(b, st)
				default:
					s = postgresStore(b, durablePostgres(b), st)
				}
				benchReads(b, s, st, 0)
			})
		}
	}
}

// BenchmarkReadCostCheckpointed is BenchmarkReadCost at 100 000 vehicles with a checkpoint (untimed, its bytes
// counted) before every read or every 10 reads. After a checkpoint PostgreSQL logs a page whole at its first change
// (full_page_writes), and each checkpoint writes back every page dirtied since, so the fewer reads between two
// checkpoints, the more each read writes. Smartcar's default bucket (120 reads an hour) against PostgreSQL's
// checkpoint_timeout (5 minutes) is about 10 reads per checkpoint; 1 is the bound of a slower fleet. SQLite checkpoints
// by the WAL's size (1 000 pages), not by time, so its pace does not change its figure: its rows here are bounds only.
//
//	go test ./fleet/ledger -run '^$' -bench ReadCostCheckpointed -benchtime 200x -count 3
func BenchmarkReadCostCheckpointed(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		for _, every := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/100000/every-%d", kind, every), func(b *testing.B) {
				st := histories(100_000)
				var s *store
				if kind == "sqlite" {
					s = sqliteStore(b, st)
				} else {
					s = postgresStore(b, durablePostgres(b), st)
				}
				benchReads(b, s, st, every)
			})
		}
	}
}

// store is one engine under the benchmark, seeded.
type store struct {
	// update writes fn's record of vehicle id at now, in one transaction of the engine.
	update func(id string, now time.Time, fn func(ledger.Record, time.Time) ledger.Record) error
	// settle writes back what the engine's log holds (a checkpoint); nil when there is no log.
	settle func(tb testing.TB)
	// written starts counting the bytes the engine sends to storage; its result returns those sent since.
	written func(tb testing.TB) func(tb testing.TB) uint64
	// wal, when set, starts counting the engine's write-ahead log, as written does.
	wal func(tb testing.TB) func(tb testing.TB) uint64
}

// benchReads times b.N reads on s, round-robin over st's vehicles, and reports the bytes written per read. With
// every > 0 it settles s (untimed) before every every-th read.
func benchReads(b *testing.B, s *store, st ledger.State, every int) {
	ids := slices.Sorted(maps.Keys(st.Vehicles))
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	if s.settle != nil {
		s.settle(b)
	}
	written, wal := s.written(b), func(testing.TB) uint64 { return 0 }
	if s.wal != nil {
		wal = s.wal(b)
	}
	now, i := benchStart, 0
	for b.Loop() {
		if every > 0 && i%every == 0 {
			b.StopTimer()
			s.settle(b)
			b.StartTimer()
		}
		id := ids[i%len(ids)]
		i++
		now = now.Add(time.Second)
		if err := s.update(id, now, grant); err != nil {
			b.Fatal(err)
		}
		if err := s.update(id, now.Add(400*time.Millisecond), outcome); err != nil {
			b.Fatal(err)
		}
	}
	if s.settle != nil {
		s.settle(b)
	}
	b.ReportMetric(float64(written(b))/float64(b.N), "B-written/read")
	if s.wal != nil {
		b.ReportMetric(float64(wal(b))/float64(b.N), "B-wal/read")
	}
}

// grant is the gate's write, as the scheduler's: the read reserved until the end of its send window.
func grant(rec ledger.Record, now time.Time) ledger.Record {
	rec.ReservedAt = now.Add(30 * time.Second)
	return rec.Touch(now)
}

// outcome is the answer's write, as the scheduler's: the reservation becomes the read, the reading is merged over
// the kept one, the key and VIN are learned again.
func outcome(rec ledger.Record, now time.Time) ledger.Record {
	r := ledgertest.Reading(now, rec.VIN, now.Second())
	kept := r
	if rec.Reading != nil {
		kept = ledger.MergeReading(*rec.Reading, r)
	}
	rec.LastReadAt, rec.ReservedAt, rec.Reading, rec.Failures = now, time.Time{}, &kept, 0
	rec.Key, rec.KeySource, rec.KeyAt = "installed", "signal connectivitystatus-isdigitalkeypaired", now
	rec.VINAt = now
	return rec.Touch(now)
}

// histories returns n vehicles, each with the record of a good read within 8 hours before benchStart.
func histories(n int) ledger.State {
	st := ledger.State{Vehicles: make(map[string]ledger.Record, n)}
	for i := range n {
		at := benchStart.Add(-time.Duration(i%480)*time.Minute - time.Duration(i%60)*time.Second)
		st.Vehicles[fmt.Sprintf("%08x-4b1e-4c2d-9f3a-%012d", i*2654435761%(1<<32), i)] = ledgertest.Record(at, i)
	}
	return st
}

// jsonStore is the old JSON state file holding st, written with State.Save.
func jsonStore(tb testing.TB, st ledger.State) *store {
	path := filepath.Join(tb.TempDir(), "state.json")
	f, err := os.Create(path)
	must(tb, err)
	must(tb, st.Save(f))
	must(tb, f.Close())
	sf := ledger.OpenStateFile(path)
	return &store{written: selfWritten, update: func(id string, now time.Time,
		fn func(ledger.Record, time.Time) ledger.Record) error {
		_, err := sf.Update(func(cur ledger.State) ledger.State {
			return ledger.State{Vehicles: map[string]ledger.Record{id: fn(cur.Vehicles[id], now)}}
		})
		return err
	}}
}

// sqliteStore is a SQLite ledger seeded with st by ledger.Put. Its checkpoint runs on a connection of its own.
func sqliteStore(tb testing.TB, st ledger.State) *store {
	path := filepath.Join(tb.TempDir(), "ledger.db")
	l, err := ledger.OpenSQLite(path)
	must(tb, err)
	tb.Cleanup(func() { l.Close() })
	must(tb, ledger.Put(l, st, benchStart))
	side, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	must(tb, err)
	tb.Cleanup(func() { side.Close() })
	settle := func(tb testing.TB) {
		var busy, logged, done int
		if err := side.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &done); err != nil || busy != 0 {
			tb.Fatalf("checkpoint: busy %d, %v", busy, err)
		}
	}
	return &store{update: ledgerUpdate(l), settle: settle, written: selfWritten}
}

// postgresStore is a PostgreSQL ledger in a fresh database of srv, seeded with st by ledger.Put.
func postgresStore(tb testing.TB, srv *pgtest.Server, st ledger.State) *store {
	url := srv.URL(tb)
	l, err := ledger.OpenPostgres(url, ledger.PostgresOptions{CallerClock: true})
	must(tb, err)
	tb.Cleanup(func() { l.Close() })
	must(tb, ledger.Put(l, st, benchStart))
	admin := pgAdmin(tb, url)
	settle := func(tb testing.TB) {
		_, err := admin.Exec("CHECKPOINT")
		must(tb, err)
	}
	return &store{update: ledgerUpdate(l), settle: settle, written: func(tb testing.TB) func(testing.TB) uint64 {
		return serverWritten(tb, admin)
	}, wal: func(tb testing.TB) func(testing.TB) uint64 { return walWritten(tb, admin) }}
}

// ledgerUpdate is a store's update through l.Update.
func ledgerUpdate(l ledger.Ledger) func(string, time.Time, func(ledger.Record, time.Time) ledger.Record) error {
	return func(id string, now time.Time, fn func(ledger.Record, time.Time) ledger.Record) error {
		_, err := l.Update([]string{id}, now, func(st ledger.State, now time.Time) ledger.State {
			return ledger.State{Vehicles: map[string]ledger.Record{id: fn(st.Vehicles[id], now)}}
		})
		return err
	}
}

// durablePostgres starts a server with PostgreSQL's own defaults for what pgtest turns off or down for quick tests
// (fsync, full_page_writes, shared_buffers): a commit waits for its WAL on disk, as with SQLite's synchronous=FULL,
// and a page's first change after a checkpoint logs the whole page.
func durablePostgres(tb testing.TB) *pgtest.Server {
	srv := pgtest.Start(tb)
	admin := pgAdmin(tb, srv.URL(tb))
	for _, q := range []string{"ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET full_page_writes = on",
		"ALTER SYSTEM SET shared_buffers = '128MB'"} {
		_, err := admin.Exec(q)
		must(tb, err)
	}
	admin.Close()
	srv.Kill(tb) // shared_buffers needs a restart
	srv.Restart(tb)
	return srv
}

// pgAdmin is a connection pool to url for the benchmark's own queries, closed at the end.
func pgAdmin(tb testing.TB, url string) *sql.DB {
	db, err := sql.Open("pgx", url)
	must(tb, err)
	tb.Cleanup(func() { db.Close() })
	return db
}

// walWritten starts counting the WAL the server writes: the advance of its insert position.
func walWritten(tb testing.TB, admin *sql.DB) func(testing.TB) uint64 {
	var start string
	must(tb, admin.QueryRow("SELECT pg_current_wal_insert_lsn()::text").Scan(&start))
	return func(tb testing.TB) uint64 {
		var n float64
		must(tb, admin.QueryRow("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)", start).Scan(&n))
		return uint64(n)
	}
}

// serverWritten starts counting the bytes the server's processes write to files: what they hand to write(2) and
// pwrite(2) (wchar of /proc/PID/io), less what they sent this process on its connections (this process's rchar:
// during a PostgreSQL case it reads nothing else of size). A process that ends in between (an autovacuum worker) is
// not counted.
func serverWritten(tb testing.TB, admin *sql.DB) func(testing.TB) uint64 {
	start, self := serverIO(tb, admin), procIO(tb, "self", "rchar")
	return func(tb testing.TB) uint64 {
		var n uint64
		for pid, w := range serverIO(tb, admin) {
			if w >= start[pid] { // a process started in between counts from zero
				n += w - start[pid]
			}
		}
		return n - min(n, procIO(tb, "self", "rchar")-self)
	}
}

// serverIO returns wchar of each process of the server, by pid.
func serverIO(tb testing.TB, admin *sql.DB) map[int]uint64 {
	rows, err := admin.Query("SELECT pid FROM pg_stat_activity")
	must(tb, err)
	defer rows.Close()
	out := map[int]uint64{}
	for rows.Next() {
		var pid int
		must(tb, rows.Scan(&pid))
		out[pid] = procIO(tb, strconv.Itoa(pid), "wchar")
	}
	must(tb, rows.Err())
	return out
}

// selfWritten starts counting the bytes this process writes: wchar, all it hands to write(2) and pwrite(2), which
// in these cases is the store's files only (SQLite's shared-memory index is mapped, not written, and not counted).
func selfWritten(tb testing.TB) func(testing.TB) uint64 {
	start := procIO(tb, "self", "wchar")
	return func(tb testing.TB) uint64 { return procIO(tb, "self", "wchar") - start }
}

// procIO returns the counter key of /proc/PID/io. Its write_bytes would be the bytes sent to the disk, but on the
// machine of BENCHMARKS.md (Linux 6.18, ext4) it counted some 20 times what strace saw PostgreSQL write.
func procIO(tb testing.TB, pid, key string) uint64 {
	b, err := os.ReadFile("/proc/" + pid + "/io")
	must(tb, err)
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, key+": "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			must(tb, err)
			return n
		}
	}
	tb.Fatalf("no %s in /proc/%s/io", key, pid)
	return 0
}

// must fails the benchmark on err.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
