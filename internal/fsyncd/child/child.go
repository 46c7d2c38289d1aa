// Package child is the fsync helper process's side of internal/fsyncd: its
// init function turns a process started with Env set into the helper,
// before many of the packages the binary links have initialized. Go
// initializes packages in the order of their import paths, each as soon
// as its imports are: this one imports only a few of the standard
// library's, so it comes after those and after the ready packages whose
// paths sort before its own (fmt, encoding/json, parts of gRPC and
// protobuf), but before the heavy registrations of gRPC, protobuf and
// Kubernetes, which never run in the helper. The helper greets its parent
// with Hello first, so that anything an earlier init printed is seen as
// a broken helper rather than read as an answer.
package child

import (
	"bufio"
	"encoding/binary"
	"io"
	"os"
)

// Env marks the helper process; its value is ignored.
const Env = "FIREDRILL_FSYNCD_HELPER"

// Hello is the first thing the helper writes to its parent.
const Hello = "fsyncd 1\n"

func init() {
	if _, ok := os.LookupEnv(Env); ok {
		os.Exit(serve(os.Args[1:], os.Stdin, os.Stdout))
	}
}

// serve is the helper's loop: for each byte i read from in, it syncs
// paths[i] and answers on out: a zero byte, or a one byte followed by a
// two-byte length and the error's text. It returns the process's exit
// code when in ends: the parent closed it, or died.
func serve(paths []string, in io.Reader, out io.Writer) int {
	if _, err := io.WriteString(out, Hello); err != nil {
		return 1
	}
	files := make([]*os.File, len(paths))
	r := bufio.NewReader(in)
	for {
		i, err := r.ReadByte()
		if err != nil {
			return 0
		}
		var answer []byte
		if int(i) >= len(paths) {
			answer = failure("the helper has no file of that index")
		} else if err := SyncKept(&files[i], paths[i]); err != nil {
			answer = failure(err.Error())
		} else {
			answer = []byte{0}
		}
		if _, err := out.Write(answer); err != nil {
			return 1
		}
	}
}

// failure encodes an error's text as the helper's answer.
func failure(msg string) []byte {
	if len(msg) > 1<<15 {
		msg = msg[:1<<15]
	}
	b := make([]byte, 3, 3+len(msg))
	b[0] = 1
	binary.BigEndian.PutUint16(b[1:], uint16(len(msg)))
	return append(b, msg...)
}

// SyncKept syncs the file at path through *f, which it keeps open between
// syncs: a write-back error is reported to each descriptor that was open
// when it happened, so a descriptor opened afresh for every sync could
// miss one that another descriptor saw first. A file replaced since the
// last sync (a write-ahead log SQLite deleted and created again) is opened
// anew, so the one synced is never a deleted one kept open.
func SyncKept(f **os.File, path string) error {
	if *f != nil {
		now, err := os.Stat(path)
		was, ferr := (*f).Stat()
		if err != nil || ferr != nil || !os.SameFile(now, was) {
			(*f).Close()
			*f = nil
		}
	}
	if *f == nil {
		g, err := os.Open(path)
		if err != nil {
			return err
		}
		*f = g
	}
	return (*f).Sync()
}
