//go:build !race

package proxy

// stackScale is how much larger goroutine stacks grow under the race
// detector (not in this build).
const stackScale = 1
