// Command shadowdiff-publish publishes exchanges read as JSON lines, one
// exchange a line in the shared test vectors' form (bodies in base64, the
// start time in epoch milliseconds), with the Go client:
//
//	shadowdiff-publish -brokers 127.0.0.1:9092 -topic shadowdiff.exchanges < exchanges.jsonl
//
// It exits non-zero if any exchange was not acknowledged.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	shadowdiff "shadowdiff/clients/go"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "Kafka brokers, host:port[,host:port]")
	topic := flag.String("topic", shadowdiff.DefaultTopic, "topic to publish to")
	flag.Parse()
	publisher, err := shadowdiff.NewPublisher(shadowdiff.PublisherConfig{
		Brokers: strings.Split(*brokers, ","), Topic: *topic,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer publisher.Close(10 * time.Second)
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	for number := 1; scanner.Scan(); number++ {
		var l shadowdiff.JSONExchange
		if err := json.Unmarshal(scanner.Bytes(), &l); err != nil {
			fmt.Fprintf(os.Stderr, "line %d: %v\n", number, err)
			os.Exit(2)
		}
		exchange, err := l.Exchange()
		if err == nil {
			err = publisher.Publish(exchange)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "line %d: %v\n", number, err)
			os.Exit(2)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := publisher.Flush(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "flush:", err)
	}
	fmt.Printf("published %d, dropped %d\n", publisher.Published(), publisher.Dropped())
	if publisher.Dropped() > 0 {
		os.Exit(1)
	}
}
