Gem::Specification.new do |s|
  s.name = "mylib"
  s.version = "1.0.0"
  s.summary = "fixture"
  s.authors = ["x"]
  s.files = []
  s.add_dependency "rack", ">= 2.0"
end
