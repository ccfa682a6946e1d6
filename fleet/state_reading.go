package fleet

// mergeReading returns the reading to keep after a read answered cur, when old is what was kept before: cur's
// values, except that a signal cur did not read successfully keeps old's value if that one was good. So the kept
// reading shows, per signal, the last good value with its own UpdatedAt (its age), and cur's Failures say which
// signals failed this time. At and KeyMissing are cur's.
func mergeReading(old, cur Reading) Reading {
	out := cur
	out.Battery = keepGood(old.Battery, cur.Battery)
	out.Range = keepGood(old.Range, cur.Range)
	out.Charging = keepGood(old.Charging, cur.Charging)
	out.PluggedIn = keepGood(old.PluggedIn, cur.PluggedIn)
	out.Location = keepGood(old.Location, cur.Location)
	out.Odometer = keepGood(old.Odometer, cur.Odometer)
	out.Online = keepGood(old.Online, cur.Online)
	out.Asleep = keepGood(old.Asleep, cur.Asleep)
	out.KeyPaired = keepGood(old.KeyPaired, cur.KeyPaired)
	out.VIN = keepGood(old.VIN, cur.VIN)
	return out
}

// keepGood returns cur, or old when cur failed (or is absent) and old is good.
func keepGood[T any](old, cur Value[T]) Value[T] {
	if cur.OK() || !old.OK() {
		return cur
	}
	return old
}

// utc returns r with every time in UTC, for stable saved bytes.
func (r Reading) utc() Reading {
	r.At = r.At.UTC()
	r.Battery = r.Battery.utc()
	r.Range = r.Range.utc()
	r.Charging = r.Charging.utc()
	r.PluggedIn = r.PluggedIn.utc()
	r.Location = r.Location.utc()
	r.Odometer = r.Odometer.utc()
	r.Online = r.Online.utc()
	r.Asleep = r.Asleep.utc()
	r.KeyPaired = r.KeyPaired.utc()
	r.VIN = r.VIN.utc()
	return r
}

// utc returns v with its UpdatedAt in UTC.
func (v Value[T]) utc() Value[T] {
	v.UpdatedAt = v.UpdatedAt.UTC()
	return v
}
