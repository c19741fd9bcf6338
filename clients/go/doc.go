// Package shadowdiff publishes HTTP exchanges the way shadowdiff's worker reads
// them: one Avro record per backend per request, in the Avro single-object
// encoding of the Exchange schema (exchange.avsc, a copy of the project's
// streams/schema/exchange.avsc), keyed by request ID on the topic
// shadowdiff.exchanges.
//
//   - Encode and Decode turn an Exchange into the wire bytes and back; the
//     project's shared test vectors (tests/vectors/exchanges.json) pin every byte.
//   - Publisher sends exchanges with franz-go without ever blocking the caller:
//     past a bounded buffer, exchanges are dropped and counted.
//   - Middleware wraps a net/http handler and records each of its responses
//     as an exchange.
package shadowdiff
