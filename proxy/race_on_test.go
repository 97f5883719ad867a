//go:build race

package proxy

// stackScale is how much larger goroutine stacks grow under the race
// detector, whose instrumentation doubles Go's stack guard.
const stackScale = 2
