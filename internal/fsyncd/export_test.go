package fsyncd

// HelperPause is helperPause, for the tests.
const HelperPause = helperPause
