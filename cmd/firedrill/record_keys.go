package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/firedrill/firedrill/control/seal"
)

// recordKeysFile is the key file made in the data directory when no record
// key is configured.
const recordKeysFile = "record.keys"

// recordKeyring returns the keyring that seals revert records: records.keys,
// then the keys of records.keyFile; when neither is set, the key file in the
// data directory, made on first use.
func (m *Main) recordKeyring() (*seal.Keyring, error) {
	cfg := m.Config.Records
	specs := append([]string(nil), cfg.Keys...)
	if cfg.KeyFile != "" {
		b, err := os.ReadFile(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("records.keyFile: %w", err)
		}
		specs = append(specs, strings.Split(string(b), "\n")...)
	}
	if len(specs) == 0 {
		path := filepath.Join(m.Config.DataDir, recordKeysFile)
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			spec, err := seal.NewKeySpec("k1")
			if err != nil {
				return nil, err
			}
			if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
				return nil, fmt.Errorf("data directory: %w", err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return nil, fmt.Errorf("record key: %w", err)
			}
			_, werr := f.WriteString(spec + "\n")
			if err := errors.Join(werr, f.Close()); err != nil {
				return nil, fmt.Errorf("record key: %w", err)
			}
			b = []byte(spec)
		case err != nil:
			return nil, fmt.Errorf("record key: %w", err)
		}
		specs = strings.Split(string(b), "\n")
	}
	k, err := seal.ParseKeys(specs)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	return k, nil
}
