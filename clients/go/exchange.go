package shadowdiff

import "time"

// Side says which backend answered.
type Side string

const (
	// Primary is the existing backend, whose answer the users get.
	Primary Side = "primary"
	// Candidate is its rewrite.
	Candidate Side = "candidate"
	// Secondary is a second instance of the primary, a noise baseline.
	Secondary Side = "secondary"
)

// DigestHeader is the reserved response header carrying the hex SHA-256 of a
// response body published empty because it was too large.
const DigestHeader = "shadowdiff-response-sha256"

// Exchange is one request and one backend's response to it.
//
// Header names should be lower case; repeated headers joined with ", ".
// Status is nil when the backend gave no HTTP answer, and Error then says why
// ("timeout", "connection refused"). ResponseDigest, when set with an empty
// ResponseBody, stands for a body too large to publish.
type Exchange struct {
	RequestID       string
	Side            Side
	Endpoint        string
	Method          string
	Path            string
	Query           string
	RequestHeaders  map[string]string
	RequestBody     []byte
	Status          *int
	ResponseHeaders map[string]string
	ResponseBody    []byte
	ContentType     *string
	StartedAt       time.Time
	LatencyMs       *float64
	BackendVersion  *string
	Error           *string
	ResponseDigest  string
}
