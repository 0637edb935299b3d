//! Message bus between the gateway's steps (design.md 6): RabbitMQ through lapin in production,
//! an in-process bus on embedded defaults, one trait and one contract test suite.
