package shadowdiff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type memory struct {
	sync.Mutex
	seen []Exchange
}

func (m *memory) Record(e Exchange) {
	m.Lock()
	defer m.Unlock()
	m.seen = append(m.seen, e)
}

func (m *memory) only(t *testing.T) Exchange {
	t.Helper()
	m.Lock()
	defer m.Unlock()
	if len(m.seen) != 1 {
		t.Fatalf("recorded %d exchanges, want 1", len(m.seen))
	}
	return m.seen[0]
}

func serve(t *testing.T, config MiddlewareConfig) (*httptest.Server, *memory) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.Header().Set("X-Seen-Request-ID", r.Header.Get(RequestIDHeader))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"`+r.PathValue("id")+`","echo":`+string(body)+`}`)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		for range 3 {
			_, _ = io.WriteString(w, strings.Repeat("x", 100))
		}
	})
	recorded := &memory{}
	server := httptest.NewServer(Middleware(recorded, config)(mux))
	t.Cleanup(server.Close)
	return server, recorded
}

func TestMiddlewareRecordsWhatTheClientGot(t *testing.T) {
	server, recorded := serve(t, MiddlewareConfig{Side: Candidate, BackendVersion: "v2"})
	request, _ := http.NewRequest("POST", server.URL+"/users/42?full=1", strings.NewReader(`{"n":1}`))
	request.Header.Set(RequestIDHeader, "r-1")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	_ = response.Body.Close()
	const want = `{"id":"42","echo":{"n":1}}`
	if response.StatusCode != 201 || string(body) != want {
		t.Fatalf("client got %d %q", response.StatusCode, body)
	}
	e := recorded.only(t)
	checks := map[string][2]string{
		"request id":     {e.RequestID, "r-1"},
		"side":           {string(e.Side), "candidate"},
		"endpoint":       {e.Endpoint, "POST /users/{id}"},
		"method":         {e.Method, "POST"},
		"path":           {e.Path, "/users/42"},
		"query":          {e.Query, "full=1"},
		"request body":   {string(e.RequestBody), `{"n":1}`},
		"response body":  {string(e.ResponseBody), want},
		"content type":   {*e.ContentType, "application/json"},
		"set-cookie":     {e.ResponseHeaders["set-cookie"], "a=1, b=2"},
		"request header": {e.RequestHeaders["x-request-id"], "r-1"},
		"version":        {*e.BackendVersion, "v2"},
	}
	for name, pair := range checks {
		if pair[0] != pair[1] {
			t.Errorf("%s: %q, want %q", name, pair[0], pair[1])
		}
	}
	if e.Status == nil || *e.Status != 201 || e.LatencyMs == nil || e.StartedAt.IsZero() {
		t.Errorf("status %v, latency %v, started %v", e.Status, e.LatencyMs, e.StartedAt)
	}
	if _, err := Encode(e); err != nil {
		t.Errorf("the recorded exchange does not encode: %v", err)
	}
}

func TestMiddlewareMakesARequestIDAndDigestsLargeBodies(t *testing.T) {
	server, recorded := serve(t, MiddlewareConfig{MaxBodyBytes: 250})
	response, err := http.Get(server.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	_ = response.Body.Close()
	if len(body) != 300 {
		t.Fatalf("client got %d bytes, want 300", len(body))
	}
	e := recorded.only(t)
	sum := sha256.Sum256(body)
	if e.ResponseDigest != hex.EncodeToString(sum[:]) || len(e.ResponseBody) != 0 {
		t.Errorf("digest %q with %d body bytes", e.ResponseDigest, len(e.ResponseBody))
	}
	if len(e.RequestID) != 36 || e.Side != Primary || e.Endpoint != "GET /big" || *e.Status != 200 {
		t.Errorf("request id %q, side %q, endpoint %q, status %d", e.RequestID, e.Side, e.Endpoint, *e.Status)
	}
	decoded, err := Decode(mustEncode(t, e))
	if err != nil || decoded.ResponseDigest != e.ResponseDigest {
		t.Errorf("digest after a round trip: %q (%v)", decoded.ResponseDigest, err)
	}
}

func TestUnroutedPathsAreNamedByShape(t *testing.T) {
	request := httptest.NewRequest("GET", "/carts/3f2b8c1e-9d4a-4f6b-8e2a-1c5d7e9f0a2b/lines/12", nil)
	if got := endpoint(nil, request); got != "GET /carts/{id}/lines/{id}" {
		t.Errorf("endpoint %q", got)
	}
}

func TestPublisherDropsAndCountsWhenKafkaIsAway(t *testing.T) {
	publisher, err := NewPublisher(PublisherConfig{
		Brokers:         []string{"127.0.0.1:1"},
		MaxBuffered:     2,
		DeliveryTimeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer publisher.Close(time.Second)
	for i := range 5 {
		e := Exchange{RequestID: "r" + string(rune('a'+i)), Side: Primary, StartedAt: time.Now()}
		if err := publisher.Publish(e); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = publisher.Flush(ctx)
	if publisher.Published() != 0 || publisher.Dropped() != 5 {
		t.Fatalf("published %d, dropped %d; want 0 and 5", publisher.Published(), publisher.Dropped())
	}
	if err := publisher.Publish(Exchange{Side: Primary}); err == nil || publisher.Dropped() != 6 {
		t.Errorf("an exchange without request ID: err %v, dropped %d", err, publisher.Dropped())
	}
}

func mustEncode(t *testing.T, e Exchange) []byte {
	t.Helper()
	data, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
