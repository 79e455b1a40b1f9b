# Reference for RubySec records: reads JSON lines {"patched": [...], "unaffected": [...],
# "versions": [...]} and prints a JSON array per line: whether each version is vulnerable
# (satisfies none of the patched/unaffected requirements), or null if Gem::Version rejects it.
require "json"
require "rubygems"
STDOUT.sync = true
STDIN.each_line do |line|
  rec = JSON.parse(line)
  reqs = (rec["patched"] + rec["unaffected"]).map { |r| Gem::Requirement.new(*r.split(",").map(&:strip)) }
  out = rec["versions"].map do |v|
    if Gem::Version.correct?(v)
      gv = Gem::Version.new(v)
      !reqs.any? { |r| r.satisfied_by?(gv) }
    else
      nil
    end
  end
  puts JSON.generate(out)
end
