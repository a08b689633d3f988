package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/semgan/semgan/gan/data"
)

// badShown is how many unreadable files a data check names.
const badShown = 3

// checkData reads the header of every image of the folders under root
// before anything trains (see data.Folder.Check) and leaves out the
// unreadable files. They are reported once, through warn: their number and
// the first few names with the reason. With strict they are an error
// instead, and so is a folder left with no readable image.
func checkData(root string, strict bool, warn func(string), folders ...*data.Folder) error {
	var bad []data.BadFile
	total := 0
	for _, f := range folders {
		total += f.Len()
		b, err := f.Check()
		bad = append(bad, b...)
		if err != nil {
			return err
		}
	}
	if len(bad) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d of the %d image files of %s cannot be read: %s", len(bad), total, root, listBad(root, bad))
	if strict {
		return fmt.Errorf("%s (-strict: nothing was trained; remove or repair them, or run without -strict to leave them out)", msg)
	}
	warn(msg + "; they are left out")
	return nil
}

// listBad names the first badShown files of bad, relative to root, each
// with its reason, and counts the rest.
func listBad(root string, bad []data.BadFile) string {
	var parts []string
	for _, b := range bad[:min(len(bad), badShown)] {
		name := b.Path
		if rel, err := filepath.Rel(root, b.Path); err == nil {
			name = rel
		}
		parts = append(parts, fmt.Sprintf("%s (%v)", name, b.Err))
	}
	s := strings.Join(parts, ", ")
	if n := len(bad) - badShown; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}
