//! PHP (Composer / Packagist): `composer.lock` and `vendor/composer/installed.json`.

pub mod composer;
