-- wrk script for bench/audit-throughput.sh: sends one request shape and prints wrk's own counts as one JSON line.
--
-- The method comes from BENCH_WRK_METHOD (default GET) and the one header (the token) from the file named by
-- BENCH_WRK_HEADER_FILE ("Name: value", an owner-only file), so the token is neither on wrk's command line nor in
-- its environment, where other local users could read it.

wrk.method = os.getenv("BENCH_WRK_METHOD") or "GET"

local header_file = os.getenv("BENCH_WRK_HEADER_FILE")
if header_file then
  local file = assert(io.open(header_file, "r"))
  local line = file:read("*l")
  file:close()
  local name, value = line:match("^([^:]+):%s*(.*)$")
  assert(name, "BENCH_WRK_HEADER_FILE must hold one 'Name: value' line")
  wrk.headers[name] = value
end

-- errors.status counts responses with a status above 399 ("Non-2xx or 3xx responses" in wrk's text report);
-- summary.requests counts every response read, so requests - status are the 2xx/3xx answers.
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRK_SUMMARY {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,'
      .. '"timeout":%d},"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
