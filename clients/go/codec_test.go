package shadowdiff

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// The project's shared vectors: exchanges and the exact bytes the Python codec
// writes for them.
const vectorsPath = "../../tests/vectors/exchanges.json"

type vectorFile struct {
	Fingerprint string `json:"schema_fingerprint_hex"`
	Vectors     []struct {
		Name     string       `json:"name"`
		Exchange JSONExchange `json:"exchange"`
		Encoded  string       `json:"encoded_hex"`
	} `json:"vectors"`
}

func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("reading the shared vectors: %v", err)
	}
	var file vectorFile
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parsing %s: %v", vectorsPath, err)
	}
	if len(file.Vectors) == 0 {
		t.Fatalf("%s holds no vectors", vectorsPath)
	}
	return file
}

func TestSchemaIsTheProjectsSchema(t *testing.T) {
	theirs, err := os.ReadFile(filepath.Join("..", "..", "streams", "schema", "exchange.avsc"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(theirs, schemaText) {
		t.Fatal("exchange.avsc differs from streams/schema/exchange.avsc: copy it over")
	}
}

func TestHeaderIsMarkerAndFingerprint(t *testing.T) {
	file := loadVectors(t)
	want := "c301" + file.Fingerprint
	if got := hex.EncodeToString(Header); got != want {
		t.Fatalf("header %s, want %s", got, want)
	}
}

func TestVectorsByteForByte(t *testing.T) {
	for _, vector := range loadVectors(t).Vectors {
		t.Run(vector.Name, func(t *testing.T) {
			exchange, err := vector.Exchange.Exchange()
			if err != nil {
				t.Fatal(err)
			}
			for run := 0; run < 20; run++ { // Go's map order changes between runs
				encoded, err := Encode(exchange)
				if err != nil {
					t.Fatal(err)
				}
				if got := hex.EncodeToString(encoded); got != vector.Encoded {
					t.Fatalf("encoded\n%s\nwant\n%s", got, vector.Encoded)
				}
			}
			want, _ := hex.DecodeString(vector.Encoded)
			decoded, err := Decode(want)
			if err != nil {
				t.Fatal(err)
			}
			if !equal(decoded, exchange) {
				t.Fatalf("decoded %+v\nwant %+v", decoded, exchange)
			}
		})
	}
}

// equal compares exchanges treating nil and empty maps and bodies alike.
func equal(a, b Exchange) bool {
	norm := func(e Exchange) Exchange {
		e.RequestBody, e.ResponseBody = nonNil(e.RequestBody), nonNil(e.ResponseBody)
		if e.RequestHeaders == nil {
			e.RequestHeaders = map[string]string{}
		}
		if e.ResponseHeaders == nil {
			e.ResponseHeaders = map[string]string{}
		}
		return e
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func TestEncodeRefusesWhatTheSchemaCannotHold(t *testing.T) {
	base := Exchange{RequestID: "r", Side: Primary, StartedAt: time.Now()}
	if _, err := Encode(base); err != nil {
		t.Fatalf("a minimal exchange: %v", err)
	}
	for name, e := range map[string]Exchange{
		"no request id": {Side: Primary},
		"unknown side":  {RequestID: "r", Side: "tertiary"},
	} {
		if _, err := Encode(e); err == nil {
			t.Errorf("%s: encoded without error", name)
		}
	}
}

func TestDecodeRefusesOtherRecords(t *testing.T) {
	good, _ := Encode(Exchange{RequestID: "r", Side: Primary, StartedAt: time.Now()})
	for name, data := range map[string][]byte{
		"empty":           {},
		"confluent frame": append([]byte{0, 0, 0, 0, 1}, good[10:]...),
		"other schema":    append([]byte{0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8}, good[10:]...),
		"truncated":       good[:len(good)-3],
		"trailing bytes":  append(append([]byte{}, good...), 0),
	} {
		if _, err := Decode(data); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}
