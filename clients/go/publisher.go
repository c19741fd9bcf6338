package shadowdiff

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultTopic is the topic the shadowdiff worker reads.
const DefaultTopic = "shadowdiff.exchanges"

// PublisherConfig says where exchanges go and how many may wait for Kafka.
type PublisherConfig struct {
	Brokers []string // host:port of one or more brokers
	Topic   string   // DefaultTopic when empty
	// MaxBuffered bounds the records waiting for Kafka (10,000 when zero); past
	// it Publish drops the exchange and counts it instead of waiting.
	MaxBuffered int
	// DeliveryTimeout is how long a record may wait for Kafka before it is
	// dropped and counted (30 s when zero).
	DeliveryTimeout time.Duration
}

// Publisher sends exchanges to Kafka with franz-go, keyed by request ID.
//
// Publish never blocks on Kafka: while it is slow or down, records wait in a
// bounded buffer, and what does not fit (or waits past DeliveryTimeout) is
// dropped and counted. franz-go reconnects by itself when Kafka is back.
type Publisher struct {
	client    *kgo.Client
	topic     string
	published atomic.Int64
	dropped   atomic.Int64
}

// NewPublisher makes a Publisher; it connects lazily, so Kafka need not be up.
// Extra franz-go options (TLS, SASL, ...) are passed through.
func NewPublisher(config PublisherConfig, options ...kgo.Opt) (*Publisher, error) {
	if len(config.Brokers) == 0 {
		return nil, errors.New("shadowdiff: no Kafka broker given (host:port)")
	}
	topic := config.Topic
	if topic == "" {
		topic = DefaultTopic
	}
	maxBuffered := config.MaxBuffered
	if maxBuffered <= 0 {
		maxBuffered = 10_000
	}
	timeout := config.DeliveryTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(config.Brokers...),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.MaxBufferedRecords(maxBuffered),
		kgo.RecordDeliveryTimeout(timeout),
		kgo.ProducerLinger(5 * time.Millisecond),
		// franz-go compresses with snappy by default, which the worker's aiokafka
		// reads only with an optional library installed: send plain batches.
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	}
	client, err := kgo.NewClient(append(base, options...)...)
	if err != nil {
		return nil, err
	}
	return &Publisher{client: client, topic: topic}, nil
}

// Publish queues one exchange and returns at once. It fails only for an
// exchange the schema cannot hold; delivery failures are counted in Dropped.
func (p *Publisher) Publish(e Exchange) error {
	value, err := Encode(e)
	if err != nil {
		p.dropped.Add(1)
		return err
	}
	record := &kgo.Record{Topic: p.topic, Key: []byte(e.RequestID), Value: value}
	p.client.TryProduce(context.Background(), record, func(_ *kgo.Record, err error) {
		if err != nil {
			p.dropped.Add(1)
		} else {
			p.published.Add(1)
		}
	})
	return nil
}

// Record publishes e, for Middleware; an exchange that cannot be encoded is
// counted in Dropped.
func (p *Publisher) Record(e Exchange) { _ = p.Publish(e) }

// Flush waits until every queued record is delivered or dropped, or ctx ends.
func (p *Publisher) Flush(ctx context.Context) error { return p.client.Flush(ctx) }

// Published counts the exchanges Kafka acknowledged.
func (p *Publisher) Published() int64 { return p.published.Load() }

// Dropped counts the exchanges given up on: buffer full, delivery timed out,
// or not encodable.
func (p *Publisher) Dropped() int64 { return p.dropped.Load() }

// Close flushes for up to timeout, then closes the connections.
func (p *Publisher) Close(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = p.client.Flush(ctx)
	p.client.Close()
}
