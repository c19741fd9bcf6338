# The full Python image has gcc, which compiles the comparator's hot loop while
# the wheels are built; the slim image that runs them needs no compiler. Both
# are on one Debian release, so the compiled module finds the C library it was
# built against.
FROM python:3.11-bookworm AS build
WORKDIR /src
COPY . /src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# The sample capture, at the path docker-compose.yml's comments use.
WORKDIR /app
COPY streams/samples /app/streams/samples
CMD ["shadowdiff", "worker"]
