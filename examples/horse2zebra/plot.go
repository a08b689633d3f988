package main

import (
	"fmt"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotLosses draws the generator, cycle, semantic and discriminator losses
// of loss_log.csv against the iteration, smoothed over a moving window.
func plotLosses(csvPath, pngPath string) error {
	rows, _, err := readLossRows(csvPath)
	if err != nil {
		return err
	}
	if len(rows) < 3 {
		return nil // nothing worth drawing
	}
	header := rows[0]
	p := plot.New()
	p.Title.Text = "training losses (moving average)"
	p.X.Label.Text = "iteration"
	p.Y.Label.Text = "loss"
	var lines []any
	for col := 2; col < len(header); col++ {
		pts := make(plotter.XYs, 0, len(rows)-1)
		for _, r := range rows[1:] {
			x, err1 := strconv.ParseFloat(r[0], 64)
			y, err2 := strconv.ParseFloat(r[col], 64)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("%s: bad row %v", csvPath, r)
			}
			pts = append(pts, plotter.XY{X: x, Y: y})
		}
		if allZero(pts) {
			continue
		}
		lines = append(lines, header[col], smooth(pts, max(1, len(pts)/50)))
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return err
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, pngPath)
}

func allZero(pts plotter.XYs) bool {
	for _, p := range pts {
		if p.Y != 0 {
			return false
		}
	}
	return true
}

// smooth returns the moving average of pts over windows of w points.
func smooth(pts plotter.XYs, w int) plotter.XYs {
	out := make(plotter.XYs, len(pts))
	sum := 0.0
	for i, p := range pts {
		sum += p.Y
		if i >= w {
			sum -= pts[i-w].Y
		}
		out[i] = plotter.XY{X: p.X, Y: sum / float64(min(i+1, w))}
	}
	return out
}
