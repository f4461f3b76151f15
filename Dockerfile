# Vitrine's container image: built with the locked dependencies, run on a slim Debian as a
# non-root user with the binary and its default settings only. Every step is
# deploy/image-steps.sh, which tests/deploy.rs also runs outside a container.
#   docker build -t vitrine .
#   docker run -p 8080:8080 vitrine                        # the demo
#   docker run -p 8080:8080 -e VITRINE_KAFKA__BROKERS=kafka:9092 \
#     -e VITRINE_CHECKOUT__QUOTE_SECRET=... vitrine        # on a real cluster

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY deploy/image-steps.sh deploy/image-steps.sh
RUN deploy/image-steps.sh build-deps
COPY . .
RUN deploy/image-steps.sh build /src /out

FROM debian:bookworm-slim
COPY deploy/image-steps.sh /usr/local/lib/vitrine/image-steps.sh
RUN /usr/local/lib/vitrine/image-steps.sh runtime-deps \
 && /usr/local/lib/vitrine/image-steps.sh user /
COPY --from=build /out/ /
USER 10001:10001
ENV VITRINE_SERVER__LISTEN=0.0.0.0:8080 \
    VITRINE_SNAPSHOT__DIR=/var/lib/vitrine/snapshots \
    VITRINE_LOG__FORMAT=json
VOLUME /var/lib/vitrine/snapshots
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=4s --start-period=300s --retries=3 \
  CMD ["/usr/local/bin/vitrine", "probe", "--url", "http://127.0.0.1:8080/health/ready"]
ENTRYPOINT ["/usr/local/bin/vitrine"]
CMD ["serve", "--config", "/etc/vitrine/vitrine.toml"]
