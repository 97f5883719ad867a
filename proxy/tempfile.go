package proxy

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// tempFile is an open temporary file: nginx's ngx_temp_file_t once its
// file exists.
type tempFile struct {
	f    *os.File
	name string
	// clean: remove the file when the request ends (a persistent file
	// of client_body_in_file_only clean); a file that is not persistent
	// was unlinked when it was created.
	clean bool
}

// close closes the file and, for a clean one, removes it
// (ngx_pool_delete_file; ngx_pool_cleanup_file only closes).
func (t *tempFile) close() {
	_ = t.f.Close()
	if t.clean {
		_ = os.Remove(t.name)
	}
}

// nextTempNumber is ngx_next_temp_number: the process-wide counter,
// shared by every kind of temporary file and by multipart boundaries,
// advanced by one, or by ngx_random_number after a name collision.
func (s *Server) nextTempNumber(collision bool) uint32 {
	add := uint64(1)
	if collision {
		// ngx_random_number: (msec << 16) + pid, set at start.
		add = uint64(time.Now().Nanosecond()/int(time.Millisecond))<<16 + uint64(s.pid)
	}
	return uint32(s.tempNumber.Add(add))
}

// tempFileName is the name ngx_create_temp_file gives the file numbered n
// in path: the directory, then each level's subdirectory named by the
// last digits of the number (ngx_create_hashed_filename), then the number
// as 10 digits.
func tempFileName(path directives.TempPath, n uint32) string {
	num := strconv.FormatUint(uint64(n), 10)
	for len(num) < 10 {
		num = "0" + num
	}
	b := make([]byte, 0, len(path.Name)+path.Len()+11)
	b = append(b, path.Name...)
	end := len(num)
	for _, level := range path.Level {
		if level == 0 {
			break
		}
		b = append(b, '/')
		b = append(b, num[end-level:end]...)
		end -= level
	}
	b = append(b, '/')
	b = append(b, num...)
	return string(b)
}

// createTempFile is ngx_create_temp_file: it opens a new file in path
// (O_CREAT|O_EXCL, 0600), numbered by the process's counter; a name in
// use takes the next number; a missing level directory is made (0700) and
// the open tried again. A file that is not persistent is unlinked at
// once. Failures are logged at [crit] with nginx's wording and action
// (what the connection's log says it is doing).
func (x *exchange) createTempFile(path directives.TempPath, persistent, clean bool, action string) (*tempFile, error) {
	n := x.c.s.nextTempNumber(false)
	for {
		name := tempFileName(path, n)
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
		if err == nil {
			if !persistent {
				_ = os.Remove(name)
			}
			return &tempFile{f: f, name: name, clean: persistent && clean}, nil
		}
		if errors.Is(err, fs.ErrExist) {
			n = x.c.s.nextTempNumber(true)
			continue
		}
		if path.Level[0] == 0 || !errors.Is(err, syscall.ENOENT) {
			x.logEvent(levelCrit, `open() "`+name+`" failed`, errlog.Errno(err), action)
			return nil, err
		}
		if err := x.createTempPath(path, name, action); err != nil {
			return nil, err
		}
	}
}

// createTempPath is ngx_create_path: it makes each level's directory of
// the file's name (0700), an existing one being fine.
func (x *exchange) createTempPath(path directives.TempPath, name, action string) error {
	pos := len(path.Name)
	for _, level := range path.Level {
		if level == 0 {
			break
		}
		pos += level + 1
		dir := name[:pos]
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			x.logEvent(levelCrit, `mkdir() "`+dir+`" failed`, errlog.Errno(err), action)
			return err
		}
	}
	return nil
}
