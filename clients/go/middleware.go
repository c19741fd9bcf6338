package shadowdiff

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Recorder receives each recorded exchange; *Publisher is one. Record must
// not block: it runs on the request's goroutine after the handler returned.
type Recorder interface {
	Record(Exchange)
}

// MiddlewareConfig says how a handler's responses are recorded.
type MiddlewareConfig struct {
	// Side is the side this service is (Primary when empty).
	Side Side
	// Endpoint names a request's endpoint. When nil: the http.ServeMux pattern
	// that routed it (e.g. "GET /users/{id}"), else the method and the path
	// with numeric, UUID and long hex segments folded to {id}.
	Endpoint func(*http.Request) string
	// MaxBodyBytes is the largest response body recorded whole (512 KiB when
	// zero); a larger one is recorded as its SHA-256 alone.
	MaxBodyBytes int
	// BackendVersion is recorded with every exchange when set.
	BackendVersion string
}

// RequestIDHeader carries the ID both sides of a request share.
const RequestIDHeader = "X-Request-ID"

// Middleware records every response of the wrapped handler as an exchange:
// the request (method, path, query, headers, body), the status, headers and
// body the handler wrote, and how long it took. The request ID is the
// request's X-Request-ID, or a new UUID set on the request before the handler
// sees it. The response reaches the client unchanged.
func Middleware(recorder Recorder, config MiddlewareConfig) func(http.Handler) http.Handler {
	side := config.Side
	if side == "" {
		side = Primary
	}
	limit := config.MaxBodyBytes
	if limit <= 0 {
		limit = 512 << 10
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			started := time.Now()
			requestBody, _ := io.ReadAll(r.Body)
			_ = r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(requestBody))
			requestID := r.Header.Get(RequestIDHeader)
			if requestID == "" {
				requestID = newUUID()
				r.Header.Set(RequestIDHeader, requestID)
			}
			tee := &teeWriter{ResponseWriter: w, limit: limit, digest: sha256.New()}
			next.ServeHTTP(tee, r)
			elapsed := float64(time.Since(started).Microseconds()) / 1000.0
			recorder.Record(tee.exchange(Exchange{
				RequestID:      requestID,
				Side:           side,
				Endpoint:       endpoint(config.Endpoint, r),
				Method:         r.Method,
				Path:           r.URL.Path,
				Query:          r.URL.RawQuery,
				RequestHeaders: flatten(r.Header),
				RequestBody:    requestBody,
				StartedAt:      started,
				LatencyMs:      &elapsed,
				BackendVersion: optional(config.BackendVersion),
			}))
		})
	}
}

// teeWriter passes everything to the client and keeps a copy of the first
// `limit` body bytes, and the digest of all of them.
type teeWriter struct {
	http.ResponseWriter
	status int
	header http.Header
	body   bytes.Buffer
	size   int
	limit  int
	digest hash.Hash
}

func (t *teeWriter) WriteHeader(status int) {
	if t.status == 0 {
		t.status = status
		t.header = t.ResponseWriter.Header().Clone()
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *teeWriter) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.WriteHeader(http.StatusOK)
	}
	n, err := t.ResponseWriter.Write(p)
	t.digest.Write(p[:n])
	t.size += n
	if t.body.Len() < t.limit {
		t.body.Write(p[:min(n, t.limit-t.body.Len())])
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the client's writer (Flush, deadlines).
func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

func (t *teeWriter) exchange(e Exchange) Exchange {
	if t.status == 0 { // the handler wrote nothing: net/http answers 200
		t.WriteHeader(http.StatusOK)
	}
	status := t.status
	e.Status = &status
	e.ResponseHeaders = flatten(t.header)
	if contentType := t.header.Get("Content-Type"); contentType != "" {
		if media, _, err := mime.ParseMediaType(contentType); err == nil {
			e.ContentType = &media
		}
	}
	if t.size > t.limit {
		e.ResponseDigest = hex.EncodeToString(t.digest.Sum(nil))
	} else {
		e.ResponseBody = t.body.Bytes()
	}
	return e
}

var idLike = regexp.MustCompile(`^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{16,})$`)

func endpoint(name func(*http.Request) string, r *http.Request) string {
	if name != nil {
		return name(r)
	}
	if pattern := r.Pattern; pattern != "" {
		method, path, found := strings.Cut(pattern, " ")
		if !found {
			method, path = r.Method, pattern
		}
		if i := strings.Index(path, "/"); i > 0 { // a host in the pattern is not part of the route
			path = path[i:]
		}
		return method + " " + path
	}
	segments := strings.Split(r.URL.Path, "/")
	for i, segment := range segments {
		if idLike.MatchString(segment) {
			segments[i] = "{id}"
		}
	}
	return r.Method + " " + strings.Join(segments, "/")
}

// flatten lower-cases header names and joins repeated values with ", ".
func flatten(header http.Header) map[string]string {
	flat := make(map[string]string, len(header))
	for name, values := range header {
		flat[strings.ToLower(name)] = strings.Join(values, ", ")
	}
	return flat
}

func optional(value string) *string {
	if value == "" {
		return nil
	}
	return &value
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
