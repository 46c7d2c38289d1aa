package sqlite

// CheckpointEvery is checkpointEvery, for the checkpoint test.
const CheckpointEvery = checkpointEvery
