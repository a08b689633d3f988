package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/gan/data"
	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

// runServe serves a live view of the run in -out: its latest sample grid,
// loss curve and metrics, refreshed while the run trains, and translation
// of uploaded images with its latest checkpoint (docs/serve.md).
func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	out := fs.String("out", filepath.Join("out", "horse2zebra"), "the run's output folder (what train -out wrote)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; the default answers this machine only, :8080 every interface")
	var b bounds
	var maxMB, maxSide, refresh int
	b.intVar(fs, &maxMB, "max-upload-mb", 16, 1, 1024, "", "largest upload accepted, in MiB")
	b.intVar(fs, &maxSide, "max-side", 0, 8, 1<<14, "four times the training size (1024 when unknown)", "resize each uploaded image so that its longer side is at most this many pixels (bounds time and memory)")
	b.intVar(fs, &refresh, "refresh", 5, 1, 3600, "", "seconds between the page's reloads of the sample grid, loss curve and metrics")
	prec := fs.String("precision", "auto", precisionUsage)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := b.check(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	st, err := os.Stat(*out)
	if err != nil {
		return fmt.Errorf("serve: -out %s: %w", *out, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("serve: -out %s is not a folder (want the folder train -out wrote)", *out)
	}
	if _, err := os.ReadDir(*out); err != nil {
		return fmt.Errorf("serve: -out %s: %w", *out, err)
	}
	if err := openDevice("cpu"); err != nil {
		return err
	}
	s := newServer(*out)
	if given(fs, "precision") {
		p, err := parsePrecision(*prec)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		s.precision = &p
	}
	s.maxBytes = int64(maxMB) << 20
	s.maxSide = maxSide
	s.refresh = time.Duration(refresh) * time.Second

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: -addr %s: %w", *addr, err)
	}
	hs := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	fmt.Fprintf(stdout, "serving %s at http://%s/ (Ctrl-C stops)\n", *out, ln.Addr())
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// A server answers for one run folder. Translations, and the loading of
// the checkpoint they use, run one at a time under mu: one model, and
// cores that one translation already keeps busy.
type server struct {
	out       string
	maxBytes  int64         // largest upload
	maxPixels int           // largest decoded image, width times height
	maxSide   int           // -max-side; 0: four times the training size
	refresh   time.Duration // the page's reload interval
	// precision is -precision's, or nil to translate in each
	// checkpoint's.
	precision *kernels.Precision

	mu      sync.Mutex
	model   *runModel // nil until a checkpoint has loaded
	modTime time.Time // of the checkpoint file model came from
	size    int64
}

// runModel is the two generators of one checkpoint.
type runModel struct {
	ga, gb    *gan.Generator
	step      int
	channels  int
	precision kernels.Precision // the run's
}

// newServer returns a server of the run folder out with the default
// limits: uploads of 16 MiB, images of 40 megapixels.
func newServer(out string) *server {
	return &server{out: out, maxBytes: 16 << 20, maxPixels: 40_000_000, refresh: 5 * time.Second}
}

func (s *server) checkpointPath() string {
	return filepath.Join(s.out, "checkpoints", "latest.safetensors")
}

// latest returns the model of the run's latest checkpoint, reading it
// again when its modification time or size has changed (train replaces
// it atomically, so a changed file is a whole new one). If the new file
// cannot be read the previous model is kept, with a warning. The caller
// holds s.mu.
func (s *server) latest() (*runModel, error) {
	path := s.checkpointPath()
	st, err := os.Stat(path)
	if err != nil {
		if s.model != nil {
			return s.model, nil // the run folder is being replaced; keep serving
		}
		return nil, fmt.Errorf("no checkpoint yet: %s (train writes it every -save-every iterations and at the end)", path)
	}
	if s.model != nil && st.ModTime().Equal(s.modTime) && st.Size() == s.size {
		return s.model, nil
	}
	m, err := loadRunModel(path)
	if err != nil {
		if s.model != nil {
			fmt.Fprintf(stderr, "warning: keeping the checkpoint of iteration %d: %v\n", s.model.step, err)
			return s.model, nil
		}
		return nil, fmt.Errorf("the checkpoint cannot be read: %v", err)
	}
	s.model, s.modTime, s.size = m, st.ModTime(), st.Size()
	p := m.precision
	if s.precision != nil {
		p = *s.precision
	}
	tensor.SetPrecision(p)
	fmt.Fprintf(stderr, "loaded %s (iteration %d)\n", path, m.step)
	return m, nil
}

// loadRunModel reads both generators of the training checkpoint at path.
func loadRunModel(path string) (*runModel, error) {
	c, err := checkpointChannels(path)
	if err != nil {
		return nil, err
	}
	tr, err := gan.LoadCheckpoint(path, c)
	if err != nil {
		return nil, err
	}
	return &runModel{ga: tr.GA, gb: tr.GB, step: tr.Step, channels: c, precision: tr.Config.Precision}, nil
}

// handler returns the server's routes.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /sample.png", s.sample)
	mux.HandleFunc("GET /loss_curve.png", func(w http.ResponseWriter, r *http.Request) {
		s.file(w, r, filepath.Join(s.out, "loss_curve.png"), "no loss curve yet (train draws loss_curve.png with every sample grid)")
	})
	mux.HandleFunc("GET /metrics.json", func(w http.ResponseWriter, r *http.Request) {
		s.file(w, r, filepath.Join(s.out, "metrics.json"), "no metrics.json yet (train writes it at the end, eval rewrites it)")
	})
	mux.HandleFunc("POST /translate", s.translate)
	mux.HandleFunc("/translate", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		httpError(w, http.StatusMethodNotAllowed, "/translate takes a POST of a multipart form with the image in the field \"image\"")
	})
	return mux
}

// httpError answers with status and a one-line plain-text message.
func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintln(w, strings.ReplaceAll(msg, "\n", " "))
}

// file serves path, never from a cache, or answers 404 with missing.
func (s *server) file(w http.ResponseWriter, r *http.Request, path, missing string) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		httpError(w, http.StatusNotFound, missing)
		return
	}
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		httpError(w, http.StatusInternalServerError, fmt.Sprintf("%s is not a readable file", path))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, filepath.Base(path), st.ModTime(), f)
}

// latestSample returns the newest of the run's sample grids
// (samples/iter_*.png and samples/final.png), or "".
func (s *server) latestSample() string {
	dir := filepath.Join(s.out, "samples")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var best string
	var bestTime time.Time
	for _, e := range entries {
		n := e.Name()
		if n != "final.png" && !(strings.HasPrefix(n, "iter_") && strings.HasSuffix(n, ".png")) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		// Newest first; at equal times final.png, then the higher iteration.
		t := info.ModTime()
		if best == "" || t.After(bestTime) || t.Equal(bestTime) && (n == "final.png" || filepath.Base(best) != "final.png" && n > filepath.Base(best)) {
			best, bestTime = filepath.Join(dir, n), t
		}
	}
	return best
}

func (s *server) sample(w http.ResponseWriter, r *http.Request) {
	path := s.latestSample()
	if path == "" {
		httpError(w, http.StatusNotFound, "no sample grid yet in "+filepath.Join(s.out, "samples")+" (train writes one every -sample-every iterations)")
		return
	}
	s.file(w, r, path, "the sample grid "+path+" has just been removed")
}

// metricRow is one line of the page's metrics table.
type metricRow struct{ Name, Value string }

// readMetrics returns metrics.json's values sorted by name, or a note that
// says why there are none.
func (s *server) readMetrics() ([]metricRow, string) {
	path := filepath.Join(s.out, "metrics.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "no metrics.json yet (train writes it at the end, eval rewrites it)"
	}
	if err != nil {
		return nil, err.Error()
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Sprintf("%s cannot be read: %v", path, err)
	}
	var rows []metricRow
	for k, v := range m {
		val := fmt.Sprint(v)
		if f, ok := v.(float64); ok {
			val = fmt.Sprintf("%.4g", f)
		}
		rows = append(rows, metricRow{k, val})
	}
	slices.SortFunc(rows, func(a, b metricRow) int { return strings.Compare(a.Name, b.Name) })
	return rows, ""
}

var servePage = template.Must(template.New("serve").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Run}} - semgan horse2zebra</title>
<style>
body{font-family:sans-serif;margin:1em 2em}
.row{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
figure{margin:0} figcaption{font-size:90%;color:#444}
img.px{image-rendering:pixelated;max-width:100%}
#sample{width:min(480px,90vw)} #loss{width:min(560px,90vw)}
#results img{width:256px;image-rendering:pixelated}
td{padding:2px 8px} .err{color:#a00}
</style>
</head>
<body>
<h1>{{.Run}}</h1>
<p>Run folder <code>{{.Out}}</code>. {{if .ModelErr}}<span class="err">{{.ModelErr}}</span>{{else}}Checkpoint of iteration {{.Step}}, {{.Channels}}-channel images.{{end}}
The images and metrics reload every {{.RefreshSeconds}} s.</p>
<div class="row">
<figure><img id="sample" class="px" src="sample.png" alt="no sample grid yet"><figcaption>latest sample grid: input | translated | reconstructed, A then B</figcaption></figure>
<figure><img id="loss" src="loss_curve.png" alt="no loss curve yet"><figcaption>losses</figcaption></figure>
<div><h2>Metrics</h2><table id="metrics">{{range .Metrics}}<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>{{end}}</table>
<p id="metrics-note">{{.MetricsNote}}</p></div>
</div>
<h2>Translate an image</h2>
<form id="form" action="translate" method="post" enctype="multipart/form-data">
<input id="file" type="file" name="image" accept="image/png,image/jpeg">
<button type="submit">translate both ways</button>
</form>
<p>PNG or JPEG, at most {{.MaxMB}} MiB; {{if .MaxSide}}resized so that its longer side is at most {{.MaxSide}} pixels{{else}}resized as translate's -max-side does{{end}}; grey or RGB, without transparency.</p>
<div id="results" class="row"></div>
<script>
"use strict";
const refreshMS = {{.RefreshMS}};
function reload() {
  for (const id of ["sample", "loss"]) {
    const im = document.getElementById(id);
    im.src = im.getAttribute("src").split("?")[0] + "?t=" + Date.now();
  }
  fetch("metrics.json", {cache: "no-store"}).then(r => r.ok ? r.json() : null).then(m => {
    if (!m) return;
    const t = document.getElementById("metrics");
    t.replaceChildren();
    for (const k of Object.keys(m).sort()) {
      const tr = t.insertRow(), v = m[k];
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = typeof v === "number" ? Number(v.toPrecision(4)).toString() : String(v);
    }
    document.getElementById("metrics-note").textContent = "";
  }).catch(() => {});
}
setInterval(reload, refreshMS);

function figure(caption) {
  const f = document.createElement("figure"), c = document.createElement("figcaption");
  c.textContent = caption;
  f.append(c);
  document.getElementById("results").append(f);
  return f;
}

// translateBlob shows the image blob and its translations both ways, side
// by side, each asked of POST /translate as the form would.
async function translateBlob(blob, name) {
  document.getElementById("results").replaceChildren();
  const inp = document.createElement("img");
  inp.src = URL.createObjectURL(blob);
  figure("uploaded: " + name).prepend(inp);
  for (const dir of ["AtoB", "BtoA"]) {
    const fd = new FormData();
    fd.append("direction", dir);
    fd.append("image", blob, name);
    const f = figure(dir);
    const r = await fetch("translate", {method: "POST", body: fd});
    if (!r.ok) {
      f.firstChild.textContent = dir + ": " + (await r.text());
      f.firstChild.className = "err";
      continue;
    }
    const im = document.createElement("img");
    im.className = "out";
    im.dataset.direction = dir;
    im.src = URL.createObjectURL(await r.blob());
    f.prepend(im);
    f.firstChild.nextSibling.textContent = dir + " (checkpoint of iteration " + r.headers.get("X-Iteration") + ")";
  }
}

document.getElementById("form").addEventListener("submit", e => {
  e.preventDefault();
  const file = document.getElementById("file").files[0];
  if (!file) { figure("choose an image first").className = "err"; return; }
  translateBlob(file, file.name).catch(err => { figure(String(err)).className = "err"; });
});
</script>
</body>
</html>
`))

// page renders the run's page.
func (s *server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m, err := s.latest()
	s.mu.Unlock()
	abs, aerr := filepath.Abs(s.out)
	if aerr != nil {
		abs = s.out
	}
	rows, note := s.readMetrics()
	d := struct {
		Run, Out, ModelErr, MetricsNote string
		Step, Channels                  int
		Metrics                         []metricRow
		RefreshSeconds, RefreshMS       int
		MaxMB, MaxSide                  int
	}{Run: filepath.Base(abs), Out: abs, Metrics: rows, MetricsNote: note,
		RefreshSeconds: int(s.refresh / time.Second), RefreshMS: int(s.refresh / time.Millisecond),
		MaxMB: int(s.maxBytes >> 20), MaxSide: s.maxSide}
	if err != nil {
		d.ModelErr = err.Error()
	} else {
		d.Step, d.Channels = m.step, m.channels
	}
	var b bytes.Buffer
	if err := servePage.Execute(&b, d); err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b.Bytes())
}

// A requestError is a bad request: its status and its message.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(status int, format string, args ...any) error {
	return &requestError{status, fmt.Sprintf(format, args...)}
}

// translate answers POST /translate: the multipart field "image" (PNG or
// JPEG) translated by the direction field's generator (AtoB, the default,
// or BtoA) of the latest checkpoint, as a PNG.
func (s *server) translate(w http.ResponseWriter, r *http.Request) {
	out, step, err := s.translateRequest(w, r)
	if err != nil {
		var re *requestError
		if errors.As(err, &re) {
			httpError(w, re.status, re.msg)
		} else {
			httpError(w, http.StatusInternalServerError, err.Error())
		}
		return
	}
	var b bytes.Buffer
	var img image.Image
	if out.C == 1 {
		img = out.ToGray()
	} else {
		img = out.ToRGBA()
	}
	if err := png.Encode(&b, img); err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Iteration", fmt.Sprint(step))
	w.Write(b.Bytes())
}

// translateRequest reads, checks and translates the upload of r.
func (s *server) translateRequest(w http.ResponseWriter, r *http.Request) (data.Image, int, error) {
	// Room for the form's other fields and the multipart headers.
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBytes+64<<10)
	if err := r.ParseMultipartForm(s.maxBytes + 64<<10); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return data.Image{}, 0, badRequest(http.StatusRequestEntityTooLarge, "the upload is more than the %d MiB allowed (serve -max-upload-mb)", s.maxBytes>>20)
		}
		return data.Image{}, 0, badRequest(http.StatusBadRequest, "not a multipart form with the image in the field \"image\": %v", err)
	}
	defer r.MultipartForm.RemoveAll()
	dir := r.FormValue("direction")
	switch dir {
	case "":
		dir = "AtoB"
	case "AtoB", "BtoA":
	default:
		return data.Image{}, 0, badRequest(http.StatusBadRequest, "direction %q is not AtoB or BtoA", dir)
	}
	f, hdr, err := r.FormFile("image")
	if err != nil {
		return data.Image{}, 0, badRequest(http.StatusBadRequest, "no file in the multipart field \"image\"")
	}
	defer f.Close()
	if hdr.Size > s.maxBytes {
		return data.Image{}, 0, badRequest(http.StatusRequestEntityTooLarge, "%s is %d bytes, more than the %d MiB allowed (serve -max-upload-mb)", hdr.Filename, hdr.Size, s.maxBytes>>20)
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return data.Image{}, 0, err
	}

	// Decoding too runs one at a time: a decoded image of the largest size
	// allowed takes 16 bytes a pixel (RGBA and three float32 planes).
	s.mu.Lock()
	defer s.mu.Unlock()
	img, err := s.decodeUpload(hdr.Filename, raw)
	if err != nil {
		return data.Image{}, 0, err
	}
	m, err := s.latest()
	if err != nil {
		return data.Image{}, 0, badRequest(http.StatusServiceUnavailable, "nothing to translate with: %v", err)
	}
	g := m.ga
	if dir == "BtoA" {
		g = m.gb
	}
	if m.channels == 1 {
		img = data.ToGrey(img) // as translate does for a grey model
	}
	p := translatePlan(s.maxSide, 0, s.checkpointPath())
	out, err := runTranslation(g, img, p)
	return out, m.step, err
}

// runTranslation runs p with g on img, in a scope of its own so that the
// intermediates are freed at once, and turns a panic into an error.
func runTranslation(g *gan.Generator, img data.Image, p plan) (out data.Image, err error) {
	sc := tensor.OpenScope()
	defer sc.Close()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("translation failed: %v", v)
		}
	}()
	return p.run(g, img, nil), nil
}

// decodeUpload decodes a PNG or JPEG upload named name into an RGB image,
// refusing, with the reason, what is not one, an image of more than
// s.maxPixels pixels (before decoding it), one smaller than 5x5, and one
// whose channels are not grey or RGB: transparency, CMYK.
func (s *server) decodeUpload(name string, raw []byte) (data.Image, error) {
	if name == "" {
		name = "the upload"
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return data.Image{}, badRequest(http.StatusUnsupportedMediaType, "%s is not a PNG or JPEG image (%v)", name, err)
	}
	if cfg.Width < 5 || cfg.Height < 5 {
		return data.Image{}, badRequest(http.StatusUnprocessableEntity, "%s is %dx%d, too small (at least 5x5)", name, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(s.maxPixels) {
		return data.Image{}, badRequest(http.StatusRequestEntityTooLarge, "%s is %dx%d, more than the %d pixels allowed", name, cfg.Width, cfg.Height, s.maxPixels)
	}
	if cfg.ColorModel == color.CMYKModel {
		return data.Image{}, badRequest(http.StatusUnprocessableEntity, "%s is a CMYK %s (4 channels); the model takes grey (1) or RGB (3) images", name, format)
	}
	m, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return data.Image{}, badRequest(http.StatusUnsupportedMediaType, "%s cannot be decoded as %s: %v", name, format, err)
	}
	if o, ok := m.(interface{ Opaque() bool }); ok && !o.Opaque() {
		return data.Image{}, badRequest(http.StatusUnprocessableEntity, "%s has transparent pixels (an alpha channel: 2 or 4 channels); the model takes grey (1) or RGB (3) images: flatten it first", name)
	}
	return data.FromImage(m), nil
}
