//! Ruby (RubyGems): installed gem specifications and `Gemfile.lock`.

pub mod gemfile_lock;
pub mod gemspec;
