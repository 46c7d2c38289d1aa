package authoring

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"

	"github.com/firedrill/firedrill/scenarios"
)

// InjectImport is a spreadsheet of injects put in place of a scenario's
// injects and checked there.
type InjectImport struct {
	// Path is the scenario file; CSV the spreadsheet.
	Path, CSV string
	// Injects are the injects read from the spreadsheet.
	Injects []scenarios.Inject
	// Merged is the scenario file with the imported injects.
	Merged []byte
	// Problems are one line each, naming the spreadsheet's row where the
	// problem is about an imported inject; the import is usable only when
	// there are none.
	Problems []string
}

// ImportInjects reads the injects of the spreadsheet at csvPath, puts them
// in place of the injects of the scenario file at path, and validates the
// result with opts. Problems with the spreadsheet or the merged scenario
// are in the result; the error is for what could not be read at all.
func ImportInjects(path, csvPath string, opts ...scenarios.Option) (*InjectImport, error) {
	im := &InjectImport{Path: path, CSV: csvPath}
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	list, rows, err := scenarios.ImportInjectsCSVRows(f)
	if err != nil {
		var cerrs scenarios.CSVErrors
		if !errors.As(err, &cerrs) {
			return nil, err
		}
		for _, e := range cerrs {
			im.Problems = append(im.Problems, fmt.Sprintf("%s: %s", csvPath, e))
		}
		return im, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if im.Merged, err = scenarios.ReplaceInjects(data, list); err != nil {
		return nil, err
	}
	im.Injects = list
	if _, err := scenarios.Parse(path, im.Merged, opts...); err != nil {
		for _, e := range FieldErrors(path, err) {
			if e.Warning() {
				continue // a warning does not stop the import (a robot's answer to a replaced inject)
			}
			im.Problems = append(im.Problems, csvRowMessage(csvPath, e, rows))
		}
	}
	return im, nil
}

// Write replaces the scenario file with the merged one, keeping its mode.
func (im *InjectImport) Write() error {
	st, err := os.Stat(im.Path)
	if err != nil {
		return err
	}
	return os.WriteFile(im.Path, im.Merged, st.Mode().Perm())
}

// Block returns the YAML injects block to paste into the scenario.
func (im *InjectImport) Block() ([]byte, error) {
	return scenarios.MarshalInjects(im.Injects)
}

var injectPath = regexp.MustCompile(`^injects\[(\d+)\]`)

// csvRowMessage names the spreadsheet row of an error about an imported
// inject; other errors are printed as they are.
func csvRowMessage(csvPath string, e *scenarios.FieldError, rows []int) string {
	if m := injectPath.FindStringSubmatch(e.Path); m != nil {
		i, _ := strconv.Atoi(m[1])
		if i < len(rows) {
			return fmt.Sprintf("%s: row %d: %s: %s", csvPath, rows[i], e.Path, e.Message)
		}
	}
	return e.Error()
}
