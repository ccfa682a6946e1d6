package schedule

// SendWindow exposes sendWindow: a granted read is recorded this far past its grant.
const SendWindow = sendWindow
