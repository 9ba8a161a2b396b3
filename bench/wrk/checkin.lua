-- One check-in per request, each employee at most once per run (the unique rule is
-- one check-in per employee and day: a repeat would measure the resubmission path).
--
-- Environment (set by bench/health_ingest.py):
--   WRK_PLAN   file with "employee id<TAB>API key of their enterprise" per line, in the
--              order to use them (the key goes out as "Authorization: Bearer ...")
--   WRK_PATH   request path, e.g. /api/v1/health/checkins
--   WRK_BODY   JSON template; {emp}, {temp} and {answers} are replaced per request
--   WRK_ATTENTION / WRK_ABNORMAL  JSON for {answers} of the 2.5 % symptomatic and
--              0.5 % feverish check-ins (the rest send WRK_NORMAL, default "{}")
-- Each wrk thread walks its own slice of the plan (every n-th line), so threads never
-- send the same employee; "wrapped" counts a thread that ran out and started again.
local script_dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(script_dir .. "report.lua")

local path = os.getenv("WRK_PATH") or "/api/v1/health/checkins"
local template = os.getenv("WRK_BODY") or '{"employee": {emp}, "temperature": {temp}, "answers": {answers}}'
local normal = os.getenv("WRK_NORMAL") or "{}"
local attention = os.getenv("WRK_ATTENTION") or "{}"
local abnormal = os.getenv("WRK_ABNORMAL") or "{}"
local headers = {
  ["Content-Type"] = "application/json",
  -- nginx in front of gunicorn sets these (docs/deploy.md §5); Django trusts the proto.
  ["X-Forwarded-Proto"] = "https",
  ["X-Forwarded-For"] = "127.0.0.1",
}
local employees = {}
local tokens = {}
local position = 0
wrapped = 0

init = function(args)
  local plan = os.getenv("WRK_PLAN")
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  local line_no = 0
  for line in io.lines(plan) do
    if line_no % nthreads == thread_id then
      local emp, token = line:match("^(%d+)\t(%S+)$")
      employees[#employees + 1] = emp
      tokens[#tokens + 1] = token
    end
    line_no = line_no + 1
  end
  math.randomseed(1000 + thread_id)
end

local function fill(s, key, value)
  -- plain find/replace: the JSON values contain % and other pattern characters
  local i, j = s:find(key, 1, true)
  if not i then
    return s
  end
  return s:sub(1, i - 1) .. value .. s:sub(j + 1)
end

request = function()
  position = position + 1
  if position > #employees then
    position = 1
    wrapped = wrapped + 1
  end
  local r = math.random()
  local temp, answers
  if r < 0.005 then
    temp, answers = 37.5 + math.random() * 1.5, abnormal
  elseif r < 0.03 then
    temp, answers = 36.3 + math.random() * 0.8, attention
  else
    temp, answers = 36.0 + math.random() * 1.0, normal
  end
  local body = fill(template, "{emp}", employees[position])
  body = fill(body, "{temp}", string.format("%.1f", temp))
  body = fill(body, "{answers}", answers)
  headers["Authorization"] = "Bearer " .. tokens[position]
  return wrk.format("POST", path, headers, body)
end
