package shop

// DedupOff exposes dedupOff to the package's tests.
var DedupOff = dedupOff
