// Package errlog writes nginx's error log through zerolog.
//
// Every line has nginx's exact layout (src/core/ngx_log.c):
//
//	2026/11/25 22:15:55 [notice] 1234#1234: *5 message while action, client: 127.0.0.1, request: "GET / HTTP/1.1"
//
// A Log is a zerolog.LevelWriter: the rest of nginxws builds events with
// zerolog (log.Notice().Msg(…), log.Error().Uint64(errlog.FieldConn, id)…),
// and the Log turns each event into that line and writes it, with one
// write(2) per target, to every target whose level admits it — files opened
// in append mode or stderr, as configured by error_log. Like nginx, it can
// also mirror [warn] and more severe messages to stderr as
// "nginxws: [emerg] …" while the process starts (ngx_use_stderr), and
// reopens its files on demand (SIGUSR1).
package errlog

import "github.com/rs/zerolog"

// Level is an nginx error log level. Lower is more severe; the values are
// nginx's NGX_LOG_* numbers, the same as directives.LogLevel, so a
// directives.LogLevel converts with Level(l).
type Level int8

// nginx's levels, most severe first.
const (
	// LevelStderr is NGX_LOG_STDERR: a target level below every message
	// level, so a target at it receives nothing.
	LevelStderr Level = iota
	LevelEmerg
	LevelAlert
	LevelCrit
	LevelError
	LevelWarn
	LevelNotice
	LevelInfo
	LevelDebug
)

// String returns the name nginx prints between brackets.
func (l Level) String() string {
	switch l {
	case LevelStderr:
		return "stderr"
	case LevelEmerg:
		return "emerg"
	case LevelAlert:
		return "alert"
	case LevelCrit:
		return "crit"
	case LevelError:
		return "error"
	case LevelWarn:
		return "warn"
	case LevelNotice:
		return "notice"
	case LevelInfo:
		return "info"
	case LevelDebug:
		return "debug"
	}
	return "unknown"
}

// zerologBase is where nginx's levels start in zerolog's level space.
// zerolog has no notice, crit, alert or emerg, so each nginx level travels
// as a zerolog level of its own above zerolog's named ones; the writer maps
// it back. zerolog compares levels only against the logger's minimum (left
// at its default), so these values pass through untouched.
const zerologBase = 16

// Zerolog returns the zerolog level that carries l through a
// zerolog.Logger writing to a Log, for zerolog.Logger.WithLevel.
func (l Level) Zerolog() zerolog.Level {
	return zerolog.Level(zerologBase + int(l))
}

// fromZerolog maps the level an event reached the writer with back to
// nginx's: the carried levels exactly, and zerolog's own levels (from plain
// zl.Info(), zl.Error() …) to their nearest nginx level.
func fromZerolog(zl zerolog.Level) Level {
	if zl >= zerologBase && zl <= zerologBase+zerolog.Level(LevelDebug) {
		return Level(zl - zerologBase)
	}
	switch zl {
	case zerolog.TraceLevel, zerolog.DebugLevel:
		return LevelDebug
	case zerolog.InfoLevel:
		return LevelInfo
	case zerolog.WarnLevel:
		return LevelWarn
	case zerolog.ErrorLevel:
		return LevelError
	case zerolog.FatalLevel:
		return LevelEmerg
	case zerolog.PanicLevel:
		return LevelAlert
	}
	return LevelNotice
}
