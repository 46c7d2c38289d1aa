# Two static binaries side by side: firedrill (the drill room and the engine)
# and its built-in Kubernetes injector plugin, firedrill-injector-kubernetes,
# which firedrill launches from its own directory.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.Version=${VERSION}" -o /out/ ./cmd/...

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/firedrill /out/firedrill-injector-kubernetes /usr/local/bin/
COPY scenarios/examples/*.yaml /etc/firedrill/scenarios/
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/firedrill"]
CMD ["serve"]
