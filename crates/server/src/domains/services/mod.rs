//! 生活服务 Services for residents (issue 11): the catalogue of service types, what outlets
//! offer and when (`offerings`: offerings, opening plans, the holiday calendar, slots) and
//! bookings (`bookings`: the state machine of `lc_services::booking` run inside the write
//! transaction, seats taken by a conditional update, `Idempotency-Key` on create, the history
//! and the notification outbox) and what is near a place on foot (`nearby`: `GET
//! /api/public/nearby`, outlets by walking distance on the server's network). The pure rules are in `lc-services`.

pub mod bookings;
pub mod nearby;
pub mod offerings;
