package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodePNG returns img as PNG bytes.
func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// postImage posts raw as the multipart field "image" (named name) with the
// field "direction" unless it is empty, and returns the status, the
// Content-Type and the body.
func postImage(t *testing.T, url, name string, raw []byte, direction string) (int, string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if direction != "" {
		require.NoError(t, mw.WriteField("direction", direction))
	}
	fw, err := mw.CreateFormFile("image", name)
	require.NoError(t, err)
	fw.Write(raw)
	require.NoError(t, mw.Close())
	resp, err := http.Post(url+"/translate", mw.FormDataContentType(), &body)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func get(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// copyRun copies the run folder src into a new temporary folder.
func copyRun(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

// serveRun starts an httptest server of s and returns its URL.
func serveRun(t *testing.T, s *server) string {
	t.Helper()
	ts := httptest.NewServer(s.handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// The page names the run, shows the checkpoint's iteration, the metrics
// and the form; the sample grid, loss curve and metrics are served.
func TestServePageAndFiles(t *testing.T) {
	capture(t)
	dir := trained(t)
	url := serveRun(t, newServer(dir))

	code, ctype, page := get(t, url+"/")
	require.Equal(t, http.StatusOK, code, "%s", page)
	assert.Contains(t, ctype, "text/html")
	for _, want := range []string{filepath.Base(dir), "Checkpoint of iteration 6", "3-channel", "<td>psnr</td>", `src="sample.png"`, `src="loss_curve.png"`, `name="image"`, "translateBlob"} {
		assert.Contains(t, string(page), want)
	}

	code, ctype, b := get(t, url+"/sample.png")
	require.Equal(t, http.StatusOK, code, "%s", b)
	assert.Equal(t, "image/png", ctype)
	final, err := os.ReadFile(filepath.Join(dir, "samples", "final.png"))
	require.NoError(t, err)
	assert.Equal(t, final, b, "the newest sample grid is final.png")

	code, ctype, _ = get(t, url+"/loss_curve.png")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "image/png", ctype)
	code, _, b = get(t, url+"/metrics.json")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(b), `"psnr"`)

	code, _, b = get(t, url+"/translate")
	assert.Equal(t, http.StatusMethodNotAllowed, code)
	assert.Contains(t, string(b), "POST")
}

// A run folder with nothing in it yet gives a page that says so, and 404s
// and a 503 that say what is missing.
func TestServeEmptyRun(t *testing.T) {
	capture(t)
	url := serveRun(t, newServer(t.TempDir()))
	code, _, page := get(t, url+"/")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(page), "no checkpoint yet")
	assert.Contains(t, string(page), "no metrics.json yet")
	for path, want := range map[string]string{"/sample.png": "no sample grid yet", "/loss_curve.png": "no loss curve yet", "/metrics.json": "no metrics.json yet"} {
		code, _, b := get(t, url+path)
		assert.Equal(t, http.StatusNotFound, code, path)
		assert.Contains(t, string(b), want, path)
	}
	code, _, b := postImage(t, url, "x.png", encodePNG(t, rgb(16, 16)), "")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, string(b), "no checkpoint yet")
}

// POST /translate returns a PNG of the uploaded size both ways, for RGB
// PNG, JPEG and grey uploads.
func TestServeTranslates(t *testing.T) {
	capture(t)
	url := serveRun(t, newServer(trained(t)))
	var jpg bytes.Buffer
	require.NoError(t, jpeg.Encode(&jpg, rgb(21, 9), nil))
	for _, c := range []struct {
		name string
		raw  []byte
		w, h int
	}{{"rgb.png", encodePNG(t, rgb(37, 23)), 37, 23}, {"photo.jpg", jpg.Bytes(), 21, 9}, {"grey.png", encodePNG(t, grey(16, 30)), 16, 30}} {
		for _, dir := range []string{"", "AtoB", "BtoA"} {
			code, ctype, b := postImage(t, url, c.name, c.raw, dir)
			require.Equal(t, http.StatusOK, code, "%s %s: %s", c.name, dir, b)
			assert.Equal(t, "image/png", ctype)
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Equal(t, [2]int{c.w, c.h}, [2]int{cfg.Width, cfg.Height}, "%s %s", c.name, dir)
		}
	}
	// The two directions are the two generators.
	_, _, ab := postImage(t, url, "x.png", encodePNG(t, rgb(16, 16)), "AtoB")
	_, _, ba := postImage(t, url, "x.png", encodePNG(t, rgb(16, 16)), "BtoA")
	assert.NotEqual(t, ab, ba)
}

// noise returns an image of random pixels, which PNG cannot compress.
func noise(w, h int, alpha bool) image.Image {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
		if i%4 == 3 && !alpha {
			img.Pix[i] = 255
		}
	}
	return img
}

// Bad uploads get a 4xx and a one-line message that names what is wrong.
func TestServeRefusesBadUploads(t *testing.T) {
	capture(t)
	s := newServer(trained(t))
	s.maxBytes = 1 << 20
	s.maxPixels = 300 * 300
	url := serveRun(t, s)
	// A 4-channel JPEG, from Go's image/testdata (video-001.cmyk.jpeg);
	// image/jpeg writes none.
	cmykJPEG, err := os.ReadFile(filepath.Join("testdata", "cmyk.jpeg"))
	require.NoError(t, err)
	greyAlpha := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := range greyAlpha.Pix {
		greyAlpha.Pix[i] = 128
	}
	for _, c := range []struct {
		what, name string
		raw        []byte
		direction  string
		status     int
		want       string
	}{
		{"text", "notes.png", []byte("not an image at all"), "", 415, "notes.png is not a PNG or JPEG image"},
		{"truncated PNG", "cut.png", encodePNG(t, rgb(40, 40))[:120], "", 415, "cut.png"},
		{"too many bytes", "big.png", encodePNG(t, noise(600, 600, false)), "", 413, "big.png is 1081382 bytes, more than the 1 MiB allowed"},
		{"far too many bytes", "huge.png", encodePNG(t, noise(1000, 1000, false)), "", 413, "the upload is more than the 1 MiB allowed"},
		{"too many pixels", "wide.png", encodePNG(t, grey(400, 300)), "", 413, "wide.png is 400x300, more than the 90000 pixels allowed"},
		{"too small", "tiny.png", encodePNG(t, rgb(4, 9)), "", 422, "tiny.png is 4x9, too small"},
		{"RGBA with transparency", "rgba.png", encodePNG(t, noise(16, 16, true)), "", 422, "rgba.png has transparent pixels (an alpha channel: 2 or 4 channels)"},
		{"grey with transparency", "ga.png", encodePNG(t, greyAlpha), "", 422, "transparent pixels"},
		{"CMYK", "print.jpg", cmykJPEG, "", 422, "print.jpg is a CMYK jpeg (4 channels)"},
		{"bad direction", "x.png", encodePNG(t, rgb(16, 16)), "sideways", 400, `direction "sideways" is not AtoB or BtoA`},
	} {
		code, ctype, b := postImage(t, url, c.name, c.raw, c.direction)
		assert.Equal(t, c.status, code, "%s: %s", c.what, b)
		assert.Contains(t, ctype, "text/plain", c.what)
		assert.Contains(t, string(b), c.want, c.what)
		assert.Equal(t, 1, strings.Count(string(b), "\n"), "%s: one line: %q", c.what, b)
	}

	// Not a multipart form, and a form without the field.
	resp, err := http.Post(url+"/translate", "image/png", bytes.NewReader(encodePNG(t, rgb(16, 16))))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(b), `not a multipart form with the image in the field "image"`)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("direction", "AtoB")
	mw.Close()
	resp, err = http.Post(url+"/translate", mw.FormDataContentType(), &body)
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(b), `no file in the multipart field "image"`)

	// The server still translates after all that.
	code, _, b := postImage(t, url, "x.png", encodePNG(t, rgb(16, 16)), "")
	assert.Equal(t, http.StatusOK, code, "%s", b)
}

// A checkpoint replaced while serving (as a training run replaces
// latest.safetensors) is picked up by the next request.
func TestServeReloadsARewrittenCheckpoint(t *testing.T) {
	capture(t)
	dir := copyRun(t, trained(t))
	url := serveRun(t, newServer(dir))
	iteration := func() string {
		t.Helper()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("image", "x.png")
		fw.Write(encodePNG(t, rgb(16, 16)))
		mw.Close()
		resp, err := http.Post(url+"/translate", mw.FormDataContentType(), &body)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return resp.Header.Get("X-Iteration")
	}
	require.Equal(t, "6", iteration())

	ckpts := filepath.Join(dir, "checkpoints")
	old, err := os.ReadFile(filepath.Join(ckpts, "iter_000003.safetensors"))
	require.NoError(t, err)
	require.NoError(t, writeFileAtomic(filepath.Join(ckpts, "latest.safetensors"), old))
	// A new modification time even on a file system with coarse times.
	later := time.Now().Add(2 * time.Second)
	require.NoError(t, os.Chtimes(filepath.Join(ckpts, "latest.safetensors"), later, later))
	assert.Equal(t, "3", iteration())
	_, _, page := get(t, url+"/")
	assert.Contains(t, string(page), "Checkpoint of iteration 3")

	// A damaged checkpoint keeps the last good model, with a warning.
	require.NoError(t, writeFileAtomic(filepath.Join(ckpts, "latest.safetensors"), []byte("torn")))
	assert.Equal(t, "3", iteration())
}

// The command refuses a missing -out and bad flags before listening.
func TestServeFlags(t *testing.T) {
	capture(t)
	missing := filepath.Join(t.TempDir(), "nowhere")
	err := run([]string{"serve", "-out", missing})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "serve: -out "+missing)
	file := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	assert.ErrorContains(t, run([]string{"serve", "-out", file}), "is not a folder")
	assert.ErrorContains(t, run([]string{"serve", "-out", t.TempDir(), "-max-upload-mb", "0"}), "-max-upload-mb 0: must be from 1 to 1024")
	assert.ErrorContains(t, run([]string{"serve", "-out", t.TempDir(), "-addr", "256.1.1.1:99999"}), "serve: -addr 256.1.1.1:99999")
	assert.ErrorContains(t, run([]string{"serve", "-bogus"}), "horse2zebra serve -h lists the flags")
}

// An address already taken is an error that names it, before anything is
// printed.
func TestServeCommandListens(t *testing.T) {
	out, _ := capture(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	err = run([]string{"serve", "-out", t.TempDir(), "-addr", ln.Addr().String()})
	assert.ErrorContains(t, err, "serve: -addr "+ln.Addr().String())
	assert.Empty(t, out.String())
}

// chromium returns the path of Debian's Chromium, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestServeInBrowser loads the page in headless Chromium and has it upload
// an image through the page's own script (translateBlob, which the form's
// submit calls) and show both translations. The test adds to the real page
// a script that fetches a test image from the server, calls translateBlob
// and, once both translated images have loaded, writes their sizes into
// the page's title; the DOM that Chromium dumps must hold that title and
// the two images.
func TestServeInBrowser(t *testing.T) {
	browser := chromium()
	if browser == "" {
		t.Skip("Chromium is not installed (apt-get install chromium); the browser test needs it")
	}
	capture(t)
	s := newServer(trained(t))
	pageHandler := s.handler()
	mux := http.NewServeMux()
	mux.Handle("/", pageHandler)
	testImage := encodePNG(t, rgb(36, 20))
	mux.HandleFunc("GET /selftest.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(testImage)
	})
	mux.HandleFunc("GET /selftest", func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		pageHandler.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		page := strings.Replace(rec.Body.String(), "</body>", selftestScript+"</body>", 1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	defer hs.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless=new", "--no-sandbox", "--disable-gpu",
		"--disable-dev-shm-usage", "--no-first-run", "--user-data-dir="+t.TempDir(),
		"--virtual-time-budget=20000", "--dump-dom", "http://"+ln.Addr().String()+"/selftest")
	var dom, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &dom, &errOut
	err = cmd.Run()
	require.NoError(t, err, "chromium: %s", errOut.String())
	title := regexp.MustCompile(`<title>(.*?)</title>`).FindStringSubmatch(dom.String())
	require.NotNil(t, title, "no title in the DOM:\n%s", dom.String())
	t.Logf("page title after the upload: %q", title[1])
	assert.Equal(t, "translated AtoB 36x20, BtoA 36x20", title[1], "DOM:\n%s\nchromium:\n%s", dom.String(), errOut.String())
	imgs := regexp.MustCompile(`<img class="out" data-direction="(AtoB|BtoA)" src="blob:`).FindAllStringSubmatch(dom.String(), -1)
	assert.Len(t, imgs, 2, "the two translated images in #results")
}

// selftestScript drives the page's upload in the browser test.
const selftestScript = `<script>
(async () => {
  try {
    const blob = await (await fetch("selftest.png")).blob();
    await translateBlob(blob, "selftest.png");
    const imgs = [...document.querySelectorAll("#results img.out")];
    await Promise.all(imgs.map(i => i.decode()));
    document.title = "translated " + imgs.map(i => i.dataset.direction + " " + i.naturalWidth + "x" + i.naturalHeight).join(", ");
  } catch (e) {
    document.title = "selftest failed: " + e + " / " + document.getElementById("results").textContent;
  }
})();
</script>
`

// A grey model translates colour uploads as translate does, converted to
// grey, and answers grey PNGs; the page says it takes 1-channel images.
func TestServeGreyModel(t *testing.T) {
	capture(t)
	dir := t.TempDir()
	require.NoError(t, run(tinyTrain(dir, "-data", greyData(t), "-iters", "2", "-decay", "0")))
	url := serveRun(t, newServer(dir))
	_, _, page := get(t, url+"/")
	assert.Contains(t, string(page), "1-channel images")
	for _, img := range []image.Image{rgb(20, 12), grey(20, 12)} {
		code, _, b := postImage(t, url, "x.png", encodePNG(t, img), "BtoA")
		require.Equal(t, http.StatusOK, code, "%s", b)
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		require.NoError(t, err)
		assert.Equal(t, color.GrayModel, cfg.ColorModel)
		assert.Equal(t, [2]int{20, 12}, [2]int{cfg.Width, cfg.Height})
	}
}
