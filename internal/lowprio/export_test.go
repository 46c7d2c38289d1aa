package lowprio

import (
	"runtime"
	"sync"
)

// Reset forgets what Processors did and gives the runtime procs
// processors, so that a test can call Processors again.
func Reset(procs int) {
	once = sync.Once{}
	settings = Settings{}
	runtime.GOMAXPROCS(procs)
}
