-- wrk script: send the requests listed in $WRK_REQUESTS in turn, one per line as
-- "METHOD /path" optionally followed by tab-separated "Name: value" headers (added to
-- those given on wrk's command line), and print a JSON summary at the end.
local requests = {}
local counter = 0

init = function(args)
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local fields = {}
    for field in line:gmatch("[^\t]+") do
      fields[#fields + 1] = field
    end
    local method, path = (fields[1] or ""):match("^(%S+)%s+(%S+)$")
    if method then
      local headers = {}
      for name, value in pairs(wrk.headers) do
        headers[name] = value
      end
      for i = 2, #fields do
        local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
        if name then
          headers[name] = value
        end
      end
      requests[#requests + 1] = wrk.format(method, path, headers)
    end
  end
end

request = function()
  counter = counter + 1
  return requests[(counter - 1) % #requests + 1]
end

done = function(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"latency_mean_ms": %.3f, "latency_max_ms": %.3f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency.mean / 1000, latency.max / 1000))
end
