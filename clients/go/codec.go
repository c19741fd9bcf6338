package shadowdiff

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/soe"
)

//go:embed exchange.avsc
var schemaText []byte

// Schema is the Exchange schema, parsed from the embedded exchange.avsc.
var Schema avro.Schema

// Header is the single-object header every record starts with: C3 01 and the
// schema's little-endian CRC-64-AVRO fingerprint.
var Header []byte

// Avro's binary encoding of a map is the encoding of an array of (key, value)
// records: a block count, the entries, a zero. Go maps have no order, so
// records are written through an equivalent schema whose header maps are such
// arrays, filled in sorted order: the bytes are then the same on every run,
// and the same as the Python codec's for headers given in that order. The
// fingerprint stays the real schema's.
var (
	wireSchema avro.Schema
	wireAPI    = avro.Config{
		DisableBlockSizeHeader: true,          // a count alone, as Python's fastavro writes
		BlockLength:            math.MaxInt32, // one block per map, also as fastavro
		MaxByteSliceSize:       64 << 20,
	}.Freeze()
)

func init() {
	var err error
	Schema, err = avro.ParseBytesWithCache(schemaText, "", &avro.SchemaCache{})
	if err != nil {
		panic(fmt.Sprintf("shadowdiff: embedded schema: %v", err))
	}
	Header, err = header(schemaText)
	if err != nil {
		panic(fmt.Sprintf("shadowdiff: schema fingerprint: %v", err))
	}
	wire, err := mapsAsArrays(schemaText)
	if err == nil {
		wireSchema, err = avro.ParseBytesWithCache(wire, "", &avro.SchemaCache{})
	}
	if err != nil {
		panic(fmt.Sprintf("shadowdiff: wire schema: %v", err))
	}
}

// header builds the single-object header from the schema's Parsing Canonical
// Form. hamba/avro's canonical form keeps logicalType attributes, which the Avro
// specification strips (only name, type, fields, symbols, items, values and size
// remain), so the fingerprint is taken of the schema without them.
func header(text []byte) ([]byte, error) {
	var schema any
	if err := json.Unmarshal(text, &schema); err != nil {
		return nil, err
	}
	plain, err := json.Marshal(withoutLogicalTypes(schema))
	if err != nil {
		return nil, err
	}
	parsed, err := avro.ParseBytesWithCache(plain, "", &avro.SchemaCache{})
	if err != nil {
		return nil, err
	}
	return soe.BuildHeader(parsed)
}

func withoutLogicalTypes(node any) any {
	switch value := node.(type) {
	case map[string]any:
		out := make(map[string]any, len(value))
		for key, child := range value {
			if key != "logicalType" {
				out[key] = withoutLogicalTypes(child)
			}
		}
		return out
	case []any:
		out := make([]any, len(value))
		for i, child := range value {
			out[i] = withoutLogicalTypes(child)
		}
		return out
	}
	return node
}

// mapsAsArrays rewrites every map<string> field of the record schema as an
// array of {key, value} records, which Avro encodes to the same bytes.
func mapsAsArrays(text []byte) ([]byte, error) {
	var schema map[string]any
	if err := json.Unmarshal(text, &schema); err != nil {
		return nil, err
	}
	fields, _ := schema["fields"].([]any)
	for i, raw := range fields {
		field, _ := raw.(map[string]any)
		typ, _ := field["type"].(map[string]any)
		if typ == nil || typ["type"] != "map" {
			continue
		}
		field["type"] = map[string]any{
			"type": "array",
			"items": map[string]any{
				"type": "record",
				"name": fmt.Sprintf("Entry%d", i),
				"fields": []any{
					map[string]any{"name": "key", "type": "string"},
					map[string]any{"name": "value", "type": typ["values"]},
				},
			},
		}
		field["default"] = []any{}
	}
	return json.Marshal(schema)
}

type entry struct {
	Key   string `avro:"key"`
	Value string `avro:"value"`
}

type record struct {
	RequestID       string    `avro:"request_id"`
	Side            string    `avro:"side"`
	Endpoint        string    `avro:"endpoint"`
	Method          string    `avro:"method"`
	Path            string    `avro:"path"`
	Query           string    `avro:"query"`
	RequestHeaders  []entry   `avro:"request_headers"`
	RequestBody     []byte    `avro:"request_body"`
	Status          *int      `avro:"status"`
	ResponseHeaders []entry   `avro:"response_headers"`
	ResponseBody    []byte    `avro:"response_body"`
	ContentType     *string   `avro:"content_type"`
	StartedAt       time.Time `avro:"started_at"`
	LatencyMs       *float64  `avro:"latency_ms"`
	BackendVersion  *string   `avro:"backend_version"`
	Error           *string   `avro:"error"`
}

// entries lists headers sorted by name, the digest header (if any) last.
func entries(headers map[string]string, digest string) []entry {
	list := make([]entry, 0, len(headers)+1)
	for key, value := range headers {
		if digest != "" && key == DigestHeader {
			continue
		}
		list = append(list, entry{key, value})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Key < list[j].Key })
	if digest != "" {
		list = append(list, entry{DigestHeader, digest})
	}
	return list
}

// ErrInvalid marks an Exchange that does not fit the schema.
var ErrInvalid = errors.New("shadowdiff: invalid exchange")

// Encode returns the exchange as one single-object-encoded Avro record.
//
// StartedAt travels as whole milliseconds. A ResponseDigest with an empty
// ResponseBody travels as the DigestHeader response header.
func Encode(e Exchange) ([]byte, error) {
	if e.RequestID == "" {
		return nil, fmt.Errorf("%w: request ID is empty", ErrInvalid)
	}
	switch e.Side {
	case Primary, Candidate, Secondary:
	default:
		return nil, fmt.Errorf("%w: unknown side %q (primary, candidate or secondary)", ErrInvalid, e.Side)
	}
	digest := ""
	if len(e.ResponseBody) == 0 {
		digest = e.ResponseDigest
	}
	r := record{
		RequestID:       e.RequestID,
		Side:            string(e.Side),
		Endpoint:        e.Endpoint,
		Method:          e.Method,
		Path:            e.Path,
		Query:           e.Query,
		RequestHeaders:  entries(e.RequestHeaders, ""),
		RequestBody:     nonNil(e.RequestBody),
		Status:          e.Status,
		ResponseHeaders: entries(e.ResponseHeaders, digest),
		ResponseBody:    nonNil(e.ResponseBody),
		ContentType:     e.ContentType,
		StartedAt:       e.StartedAt.UTC().Truncate(time.Millisecond),
		LatencyMs:       e.LatencyMs,
		BackendVersion:  e.BackendVersion,
		Error:           e.Error,
	}
	body, err := wireAPI.Marshal(wireSchema, r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return append(append(make([]byte, 0, len(Header)+len(body)), Header...), body...), nil
}

// Decode reads one single-object-encoded record of the Exchange schema.
func Decode(data []byte) (Exchange, error) {
	if len(data) < len(Header) || string(data[:len(Header)]) != string(Header) {
		return Exchange{}, fmt.Errorf("shadowdiff: not a single-object Exchange record (header % x)", data[:min(len(data), len(Header))])
	}
	var r record
	// A Reader rather than Unmarshal, which calls data that ends too soon a success.
	reader := avro.NewReader(nil, 0, avro.WithReaderConfig(wireAPI)).Reset(data[len(Header):])
	reader.ReadVal(wireSchema, &r)
	if reader.Error != nil {
		return Exchange{}, fmt.Errorf("shadowdiff: undecodable record: %w", reader.Error)
	}
	if reader.Peek(); reader.Error == nil {
		return Exchange{}, errors.New("shadowdiff: unexpected bytes after the record")
	}
	e := Exchange{
		RequestID:       r.RequestID,
		Side:            Side(r.Side),
		Endpoint:        r.Endpoint,
		Method:          r.Method,
		Path:            r.Path,
		Query:           r.Query,
		RequestHeaders:  headerMap(r.RequestHeaders),
		RequestBody:     r.RequestBody,
		Status:          r.Status,
		ResponseHeaders: headerMap(r.ResponseHeaders),
		ResponseBody:    r.ResponseBody,
		ContentType:     r.ContentType,
		StartedAt:       r.StartedAt.UTC(),
		LatencyMs:       r.LatencyMs,
		BackendVersion:  r.BackendVersion,
		Error:           r.Error,
	}
	if digest, ok := e.ResponseHeaders[DigestHeader]; ok {
		delete(e.ResponseHeaders, DigestHeader)
		if len(e.ResponseBody) == 0 {
			e.ResponseDigest = digest
		}
	}
	return e, nil
}

func headerMap(list []entry) map[string]string {
	headers := make(map[string]string, len(list))
	for _, item := range list {
		headers[item.Key] = item.Value
	}
	return headers
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
