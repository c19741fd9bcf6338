# The full Python image has gcc, which compiles the comparator's hot loop while
# the wheels are built; the slim image that runs them needs no compiler. Both
# are on one Debian release, so the compiled module finds the C library it was
# built against. Every dependency comes from requirements.lock, checked against
# its hash: the build stage installs the lock (Cython and setuptools included)
# and builds shadowdiff's wheel with them; the run stage installs shadowdiff from
# those wheels alone, so it gets exactly the locked versions of what it needs.
FROM python:3.11-bookworm AS build
WORKDIR /src
COPY . /src
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
 && pip wheel --no-cache-dir --require-hashes --no-deps --wheel-dir /wheels -r requirements.lock \
 && pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels shadowdiff && rm -rf /wheels
# The sample capture, at the path docker-compose.yml's comments use.
WORKDIR /app
COPY streams/samples /app/streams/samples
CMD ["shadowdiff", "worker"]
