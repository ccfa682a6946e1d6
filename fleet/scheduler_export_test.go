package fleet

// MergeRecord exposes Record.merge to the external tests' simulation store.
func MergeRecord(r, o Record) Record { return r.merge(o) }

// SendWindow exposes sendWindow: a granted read is recorded this far past its grant.
const SendWindow = sendWindow
