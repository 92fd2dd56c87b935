-- wrk script: POST a JSON callback request, a distinct valid number each
-- time (NANP +1 415 2XX XXXX), so that no request is a duplicate.
local n = 0
local prefix = os.getenv("BENCH_PREFIX") or "+14152"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
	n = n + 1
	local body = string.format(
		'{"business":"bench","phone":"%s%06d",' ..
		'"page_url":"https://shop.example/pricing","name":"Bench"}',
		prefix, n % 1000000)
	return wrk.format(nil, "/v1/callbacks", nil, body)
end
