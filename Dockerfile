# One static binary: the drill room, the engine and the built-in Kubernetes
# injector plugin (served by the same binary as `firedrill plugin kubernetes`).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.Version=${VERSION}" -o /out/firedrill ./cmd/firedrill

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/firedrill /usr/local/bin/firedrill
COPY scenarios/examples/*.yaml /etc/firedrill/scenarios/
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/firedrill"]
CMD ["serve"]
