package shadowdiff

import (
	"encoding/base64"
	"fmt"
	"time"
)

// JSONExchange is an Exchange in the JSON form of the project's shared test
// vectors (tests/vectors/exchanges.json): bodies in base64, the start time in
// epoch milliseconds. cmd/shadowdiff-publish reads it, one a line.
type JSONExchange struct {
	RequestID       string            `json:"request_id"`
	Side            Side              `json:"side"`
	Endpoint        string            `json:"endpoint"`
	Method          string            `json:"method"`
	Path            string            `json:"path"`
	Query           string            `json:"query"`
	RequestHeaders  map[string]string `json:"request_headers"`
	RequestBody     string            `json:"request_body_base64"`
	Status          *int              `json:"status"`
	ResponseHeaders map[string]string `json:"response_headers"`
	ResponseBody    string            `json:"response_body_base64"`
	ContentType     *string           `json:"content_type"`
	StartedAtMillis int64             `json:"started_at_millis"`
	LatencyMs       *float64          `json:"latency_ms"`
	BackendVersion  *string           `json:"backend_version"`
	Error           *string           `json:"error"`
	ResponseDigest  *string           `json:"response_digest"`
}

// Exchange is the exchange j describes; an error names a body that is not base64.
func (j JSONExchange) Exchange() (Exchange, error) {
	requestBody, err := base64.StdEncoding.DecodeString(j.RequestBody)
	if err != nil {
		return Exchange{}, fmt.Errorf("request_body_base64: %w", err)
	}
	responseBody, err := base64.StdEncoding.DecodeString(j.ResponseBody)
	if err != nil {
		return Exchange{}, fmt.Errorf("response_body_base64: %w", err)
	}
	digest := ""
	if j.ResponseDigest != nil {
		digest = *j.ResponseDigest
	}
	return Exchange{
		RequestID: j.RequestID, Side: j.Side, Endpoint: j.Endpoint, Method: j.Method,
		Path: j.Path, Query: j.Query, RequestHeaders: j.RequestHeaders, RequestBody: requestBody,
		Status: j.Status, ResponseHeaders: j.ResponseHeaders, ResponseBody: responseBody,
		ContentType: j.ContentType, StartedAt: time.UnixMilli(j.StartedAtMillis).UTC(),
		LatencyMs: j.LatencyMs, BackendVersion: j.BackendVersion, Error: j.Error,
		ResponseDigest: digest,
	}, nil
}
