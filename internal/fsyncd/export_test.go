package fsyncd

// HelperPause is helperPause, for the tests.
const HelperPause = helperPause

// Paths returns the files the Syncer syncs, made absolute.
func (s *Syncer) Paths() []string { return s.paths }
