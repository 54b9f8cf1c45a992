# Styrhub: build the `styrhub` binary, then run it on a slim Debian with the demo data.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p styrhub-api --bin styrhub

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/styrhub styrhub && mkdir -p /var/lib/styrhub && chown styrhub /var/lib/styrhub
COPY --from=build /src/target/release/styrhub /usr/local/bin/styrhub
COPY demo /usr/share/styrhub/demo
USER styrhub
WORKDIR /var/lib/styrhub
ENV STYRHUB_ADDR=0.0.0.0:8080 \
    STYRHUB_DEMO_DIR=/usr/share/styrhub/demo
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["styrhub", "healthcheck"]
CMD ["styrhub", "serve"]
