package main

import (
	"math/rand/v2"
	"testing"

	"github.com/semgan/semgan/gan/data"
	"github.com/stretchr/testify/assert"
)

// namedSource is a Source of named items that are never decoded.
type namedSource []string

func (s namedSource) Len() int                              { return len(s) }
func (s namedSource) Sample(*rand.Rand) (data.Image, error) { return data.Image{}, nil }
func (s namedSource) Item(i int) (data.Item, error)         { return data.Item{Name: s[i]}, nil }

// Result files are named after the input's stem: 00009_fake.png, never
// 00009.png_fake.png; inputs that share a stem keep apart.
func TestResultStemsDropTheExtension(t *testing.T) {
	got := resultStems(namedSource{"00009.png", "a.jpg", "a.png", "scene000002"})
	assert.Equal(t, []string{"00009", "a_jpg", "a_png", "scene000002"}, got)
}
