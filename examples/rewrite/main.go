// Command rewrite is the monolith's Go rewrite, with the differences a real
// rewrite tends to have planted in it:
//
//   - GET /users/{id}: the field "email" renamed "email_address";
//   - GET /products/{id}: prices held as float32, so 19.99 comes out as
//     19.989999771118164;
//   - GET /orders/{id}: lines in the order they were added, not sorted by SKU;
//   - GET /search: no results for about 1 % of queries (a bug);
//   - GET /reports/{id}: 80 ms slower, same answer.
//
// Usage: go run . [PORT] [HOST]
package main

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

var (
	first = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"}
	last  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"}
)

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func withID(handle func(http.ResponseWriter, *http.Request, int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		handle(w, r, id)
	}
}

func user(w http.ResponseWriter, _ *http.Request, id int) {
	f, l := first[id%len(first)], last[(id/len(first))%len(last)]
	reply(w, 200, map[string]any{
		"id":            id,
		"name":          f + " " + l,
		"email_address": strings.ToLower(f) + "." + strings.ToLower(l) + "@example.com",
		"created_at":    fmt.Sprintf("2024-%02d-%02dT09:00:00Z", 1+id%12, 1+id%28),
	})
}

func product(w http.ResponseWriter, _ *http.Request, id int) {
	cents := 500 + (id*137)%10000
	price := float32(float64(cents) / 100)
	reply(w, 200, map[string]any{
		"id": id, "name": fmt.Sprintf("Widget %d", id), "price": float64(price), "currency": "EUR",
	})
}

func order(w http.ResponseWriter, _ *http.Request, id int) {
	items := []map[string]any{}
	for k := range 3 {
		items = append(items, map[string]any{
			"sku": fmt.Sprintf("SKU-%03d", (id*7+k*13)%97), "qty": 1 + (id+k)%4,
		})
	}
	reply(w, 200, map[string]any{"id": id, "items": items, "lines": len(items)})
}

func search(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query().Get("q")
	seed := crc32.ChecksumIEEE([]byte(query))
	results := []map[string]any{}
	if seed%100 != 0 {
		for k := range 3 {
			results = append(results, map[string]any{
				"id": (seed >> (8 * k)) % 1000, "title": fmt.Sprintf("%s #%d", query, k),
			})
		}
	}
	reply(w, 200, map[string]any{"query": query, "results": results})
}

func report(w http.ResponseWriter, _ *http.Request, id int) {
	time.Sleep(80 * time.Millisecond)
	reply(w, 200, map[string]any{"id": id, "rows": 10 + id%90, "status": "ready"})
}

func main() {
	port, host := "6000", "127.0.0.1"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	if len(os.Args) > 2 {
		host = os.Args[2]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", withID(user))
	mux.HandleFunc("GET /products/{id}", withID(product))
	mux.HandleFunc("GET /orders/{id}", withID(order))
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, 201, map[string]any{"created": true})
	})
	mux.HandleFunc("GET /search", search)
	mux.HandleFunc("GET /reports/{id}", withID(report))
	server := &http.Server{Addr: host + ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := server.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
