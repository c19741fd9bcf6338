# The full Python image has gcc, which compiles the comparator's hot loop while
# the wheels are built; the slim image that runs them needs no compiler.
FROM python:3.11 AS build
WORKDIR /src
COPY . /src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
CMD ["shadowdiff", "worker"]
