# Oracle: RubyGems' Gem::Version (`correct?`, `<=>`). See README.md for the protocol.
require 'rubygems'

def unhex(h)
  [h[1..]].pack('H*').force_encoding(Encoding::UTF_8)
end

def valid?(s)
  Gem::Version.correct?(s)
rescue StandardError
  false
end

out = []
File.foreach(ARGV[0]) do |line|
  op, *args = line.chomp.split(' ', -1)
  case op
  when 'V'
    out << (valid?(unhex(args[0])) ? 'ok' : 'invalid')
  when 'C'
    a = unhex(args[0])
    b = unhex(args[1])
    if valid?(a) && valid?(b)
      out << (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
    else
      out << 'invalid'
    end
  else
    raise "bad request: #{line}"
  end
end
$stdout.write(out.map { |x| "#{x}\n" }.join)
