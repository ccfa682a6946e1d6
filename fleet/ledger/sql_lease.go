package ledger

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Lease grants, renews or releases the scheduler's lease in one transaction (see Ledger). With the database's clock,
// now is the database's: two machines whose clocks disagree still agree on when a lease expires.
func (l *sqlLedger) Lease(holder string, ttl time.Duration, now time.Time) (Lease, error) {
	ctx, cancel := l.ctx()
	defer cancel()
	tx, done, err := l.begin(ctx)
	if err != nil {
		return Lease{}, l.wrap("lease", err)
	}
	defer done()
	defer tx.Rollback()
	out, err := l.lease(ctx, tx, holder, ttl, now)
	if err == nil {
		err = tx.Commit()
	}
	return out, l.wrap("lease", err)
}

func (l *sqlLedger) lease(ctx context.Context, tx *sql.Tx, holder string, ttl time.Duration, now time.Time) (Lease, error) {
	if l.d.clock != "" {
		if err := tx.QueryRowContext(ctx, l.d.clock).Scan(&now); err != nil {
			return Lease{}, err
		}
	}
	var err error
	if ttl > 0 {
		_, err = tx.ExecContext(ctx, l.d.rebind("UPDATE fk_lease SET holder = ?, until_ns = ? "+
			"WHERE name = ? AND (holder = ? OR holder = '' OR until_ns <= ?)"),
			holder, now.Add(ttl).UnixNano(), leaseName, holder, now.UnixNano())
	} else if holder != "" { // "" asks who holds it and releases nothing
		_, err = tx.ExecContext(ctx, l.d.rebind("UPDATE fk_lease SET holder = '', until_ns = 0 "+
			"WHERE name = ? AND holder = ?"), leaseName, holder)
	}
	if err != nil {
		return Lease{}, err
	}
	var out Lease
	var until int64
	if err := tx.QueryRowContext(ctx, l.d.rebind("SELECT holder, until_ns FROM fk_lease WHERE name = ?"),
		leaseName).Scan(&out.Holder, &until); err != nil {
		return Lease{}, err
	}
	if out.Holder != "" && until <= now.UnixNano() {
		out.Holder = "" // expired: nobody schedules
	}
	if out.Holder != "" {
		out.Until = time.Unix(0, until)
	}
	out.Mine = out.Holder != "" && out.Holder == holder
	return out, nil
}

// PutListing keeps a page of the listing (see Ledger). A page of a newer refresh than the kept one starts that
// refresh; vehicles keep the position of the refresh that last saw them.
func (l *sqlLedger) PutListing(items []Listed, at time.Time, final bool) error {
	ctx, cancel := l.ctx()
	defer cancel()
	tx, done, err := l.begin(ctx)
	if err != nil {
		return l.wrap("save listing", err)
	}
	defer done()
	defer tx.Rollback()
	err = l.putListing(ctx, tx, items, at.UnixNano(), final)
	if err == nil {
		err = tx.Commit()
	}
	return l.wrap("save listing", err)
}

func (l *sqlLedger) putListing(ctx context.Context, tx *sql.Tx, items []Listed, at int64, final bool) error {
	if _, err := tx.ExecContext(ctx, l.d.rebind("UPDATE fk_listing_meta SET at_ns = ?, complete = 0, next_pos = 0 "+
		"WHERE id = 1 AND at_ns < ?"), at, at); err != nil {
		return err
	}
	var pos int64
	if err := tx.QueryRowContext(ctx, "SELECT next_pos FROM fk_listing_meta WHERE id = 1").Scan(&pos); err != nil {
		return err
	}
	stmt := l.d.rebind("INSERT INTO fk_listing (id, pos, item, seen_ns) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO " +
		"UPDATE SET pos = excluded.pos, item = excluded.item, seen_ns = excluded.seen_ns")
	for _, it := range items {
		if _, err := tx.ExecContext(ctx, stmt, it.ID, pos, string(it.Data), at); err != nil {
			return err
		}
		pos++
	}
	if _, err := tx.ExecContext(ctx, l.d.rebind("UPDATE fk_listing_meta SET next_pos = ? WHERE id = 1"), pos); err != nil {
		return err
	}
	if !final {
		return nil
	}
	if _, err := tx.ExecContext(ctx, l.d.rebind("DELETE FROM fk_listing WHERE seen_ns < ?"), at); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, l.d.rebind("UPDATE fk_listing_meta SET complete = 1 WHERE id = 1 AND at_ns = ?"), at)
	return err
}

// Listing returns the kept listing: the vehicles of the latest refresh in its order, then those it has not
// reached yet.
func (l *sqlLedger) Listing() (Listing, error) {
	ctx, cancel := l.ctx()
	defer cancel()
	var out Listing
	var at, complete int64
	if err := l.db.QueryRowContext(ctx, "SELECT at_ns, complete FROM fk_listing_meta WHERE id = 1").
		Scan(&at, &complete); err != nil {
		return Listing{}, l.wrap("read listing", err)
	}
	if at > 0 {
		out.At = time.Unix(0, at)
	}
	out.Complete = complete == 1
	rows, err := l.db.QueryContext(ctx, "SELECT id, item FROM fk_listing ORDER BY seen_ns DESC, pos")
	if err != nil {
		return Listing{}, l.wrap("read listing", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it Listed
		if err := rows.Scan(&it.ID, &it.Data); err != nil {
			return Listing{}, l.wrap("read listing", err)
		}
		out.Items = append(out.Items, it)
	}
	return out, l.wrap("read listing", rows.Err())
}

// questionsToDollars rewrites ? placeholders as $1, $2, … for PostgreSQL. No statement here has a ? in a literal.
func questionsToDollars(q string) string {
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
