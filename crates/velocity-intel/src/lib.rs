//! Pipeline intelligence as pure computation: the server gathers plain data (deals, stage
//! histories, activity counts) and these modules turn it into forecasts, health, scores and
//! insights. Nothing here touches a database or the network, so every formula is tested and
//! benchmarked on its own.

pub mod forecast;
pub mod health;
pub mod insights;
pub mod scoring;
pub mod timeline;
