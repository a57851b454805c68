"""Site location and geofence zone: validation, and whether a reported position is inside.

Metric work happens on a local equirectangular plane centred on a reference point (the site, or
the polygon's vertex mean when a polygon is validated alone): x = R·Δλ·cos φ0 east, y = R·Δφ north,
in metres. Within the 10 km these zones are bounded to, its scale error stays under 0.3 % up to
latitude 60°, and it is an affine map of lon/lat, so polygon validity is the same in both.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from crm.platform.i18n import tr

# shapely (and numpy under it) load on first geometric use, not on every cold start: most routes
# that carry a zone only read or write it. They ship in GeoLayer (layers/geo/), which
# EInvoicingFunction does not have: nothing it runs may draw a zone.
if TYPE_CHECKING:
    from shapely.geometry import Polygon
    from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
DEFAULT_RADIUS_M = 20.0  # circle radius when neither the zone nor the tenant settings give one
MAX_RADIUS_M = 5_000.0
MAX_SIDE_M = 10_000.0
MAX_POLYGON_VERTICES = 500
MAX_POLYGON_AREA_M2 = 25_000_000.0
MAX_POLYGON_EXTENT_M = 10_000.0
MAX_POLYGON_DISTANCE_M = 10_000.0  # from the site location
# A buffered circle is an inscribed 256-gon: at most 0.008 % (0.4 m at 5 km) short of the radius.
_CIRCLE_QUAD_SEGS = 64


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CircleZone(BaseModel):
    """Circle centred on the site; radius None means the tenant's default radius."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["circle"] = "circle"
    radius_m: float | None = Field(default=None, gt=0, le=MAX_RADIUS_M)


class SquareZone(BaseModel):
    """Square centred on the site, sides north-south and east-west."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["square"] = "square"
    side_m: float = Field(gt=0, le=MAX_SIDE_M)


class PolygonZone(BaseModel):
    """GeoJSON Polygon {"type": "Polygon", "coordinates": [exterior, *holes]}, rings of [lon, lat]."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["polygon"] = "polygon"
    polygon: dict[str, Any]

    @field_validator("polygon")
    @classmethod
    def _check_polygon(cls, value: dict[str, Any]) -> dict[str, Any]:
        rings = _parse_rings(value)
        vertices = sum(len(ring) - 1 for ring in rings)
        if vertices > MAX_POLYGON_VERTICES:
            raise ValueError(
                tr("polygon has {vertices} vertices; at most {most} are allowed", vertices=vertices, most=MAX_POLYGON_VERTICES)
            )
        from shapely.geometry import Polygon
        from shapely.validation import explain_validity

        in_degrees = Polygon(rings[0], rings[1:])
        if not in_degrees.is_valid:
            raise ValueError(tr("polygon is not valid: {why}", why=explain_validity(in_degrees)))
        shape = _plane_polygon(rings, _vertex_mean(rings[0]))
        if shape.area > MAX_POLYGON_AREA_M2:
            raise ValueError(
                tr(
                    "polygon covers {area} km²; at most {most} km² is allowed",
                    area=round(shape.area / 1e6, 1),
                    most=MAX_POLYGON_AREA_M2 / 1e6,
                )
            )
        extent = _diameter(shape)
        if extent > MAX_POLYGON_EXTENT_M:
            raise ValueError(
                tr(
                    "polygon spans {extent} km; at most {most} km is allowed",
                    extent=round(extent / 1000, 1),
                    most=MAX_POLYGON_EXTENT_M / 1000,
                )
            )
        return {"type": "Polygon", "coordinates": rings}


Zone = Annotated[CircleZone | SquareZone | PolygonZone, Field(discriminator="kind")]


class PointCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inside: bool
    distance_m: float  # great-circle distance from the site location
    distance_to_zone_m: float  # 0 when inside


def haversine_m(a: Location, b: Location) -> float:
    """Great-circle distance in metres."""
    phi_a, phi_b = math.radians(a.lat), math.radians(b.lat)
    h = math.sin((phi_b - phi_a) / 2) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(math.radians(b.lon - a.lon) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def zone_shape(zone: Zone, location: Location, default_radius_m: float) -> BaseGeometry:
    """The zone on the local plane centred on `location` (metres, x east, y north)."""
    from shapely.geometry import Point, box

    match zone:
        case CircleZone(radius_m=radius_m):
            radius = default_radius_m if radius_m is None else radius_m
            if not 0 < radius <= MAX_RADIUS_M:
                raise ValueError(tr("default radius must be > 0 and ≤ {most} m, got {radius}", most=MAX_RADIUS_M, radius=radius))
            return Point(0, 0).buffer(radius, quad_segs=_CIRCLE_QUAD_SEGS)
        case SquareZone(side_m=side_m):
            return box(-side_m / 2, -side_m / 2, side_m / 2, side_m / 2)
        case PolygonZone(polygon=polygon):
            return _plane_polygon(polygon["coordinates"], location)
    raise TypeError(f"not a zone: {zone!r}")


def check_point(zone: Zone, location: Location, point: Location, default_radius_m: float) -> PointCheck:
    """Whether `point` is inside the zone of a site at `location`; boundary points count as inside."""
    from shapely.geometry import Point

    shape = zone_shape(zone, location, default_radius_m)
    xy = Point(_project(point.lon, point.lat, location))
    return PointCheck(
        inside=shape.covers(xy),
        distance_m=round(haversine_m(location, point), 1),
        distance_to_zone_m=round(shape.distance(xy), 1),
    )


def validate_zone_for_location(zone: Zone, location: Location) -> None:
    """Refuse a polygon zone drawn too far from its site (circles and squares are centred on it)."""
    if isinstance(zone, PolygonZone):
        from shapely.geometry import Point

        distance = _plane_polygon(zone.polygon["coordinates"], location).distance(Point(0, 0))
        if distance > MAX_POLYGON_DISTANCE_M:
            raise ValueError(
                tr(
                    "polygon is {distance} km from the site location; it must be within {most} km",
                    distance=round(distance / 1000, 1),
                    most=MAX_POLYGON_DISTANCE_M / 1000,
                )
            )


def _wrap(degrees: float) -> float:
    """Longitude difference brought into [-180, 180), so zones across the antimeridian stay small."""
    return (degrees + 180) % 360 - 180


def _project(lon: float, lat: float, origin: Location) -> tuple[float, float]:
    return (
        EARTH_RADIUS_M * math.radians(_wrap(lon - origin.lon)) * math.cos(math.radians(origin.lat)),
        EARTH_RADIUS_M * math.radians(lat - origin.lat),
    )


def _plane_polygon(rings: list[list[list[float]]], origin: Location) -> Polygon:
    from shapely.geometry import Polygon

    exterior, *holes = ([_project(lon, lat, origin) for lon, lat in ring] for ring in rings)
    return Polygon(exterior, holes)


def _vertex_mean(ring: list[list[float]]) -> Location:
    # Longitudes are averaged as offsets from the first vertex so a ring across the antimeridian
    # averages to a point on it, not to the other side of the globe.
    vertices = ring[:-1]
    lon0 = vertices[0][0]
    lon = lon0 + sum(_wrap(lon - lon0) for lon, _ in vertices) / len(vertices)
    return Location(lat=sum(lat for _, lat in vertices) / len(vertices), lon=_wrap(lon))


def _diameter(shape: Polygon) -> float:
    """Largest distance between two points of the shape (between two of its hull's vertices)."""
    import numpy as np

    points = np.asarray(shape.convex_hull.exterior.coords)
    return float(np.linalg.norm(points[:, None] - points[None, :], axis=-1).max())


def _parse_rings(geojson: dict[str, Any]) -> list[list[list[float]]]:
    if set(geojson) != {"type", "coordinates"} or geojson["type"] != "Polygon":
        raise ValueError(tr("must be a GeoJSON Polygon: {example}", example='{"type": "Polygon", "coordinates": [[[lon, lat], ...]]}'))
    coordinates = geojson["coordinates"]
    if not isinstance(coordinates, list) or not coordinates:
        raise ValueError(tr("coordinates must be a non-empty list of rings (the exterior, then any holes)"))
    rings = []
    for r, ring in enumerate(coordinates):
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValueError(tr("ring {ring} must be a list of at least 4 positions (first and last equal)", ring=str(r)))
        positions = [_position(value, tr("ring {ring} position {position}", ring=str(r), position=str(i))) for i, value in enumerate(ring)]
        if positions[0] != positions[-1]:
            raise ValueError(
                tr("ring {ring} is not closed: its last position must repeat the first, {first}", ring=str(r), first=str(positions[0]))
            )
        rings.append(positions)
    return rings


def _position(value: Any, where: str) -> list[float]:
    if not (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in value)
    ):
        raise ValueError(tr("{where} must be [lon, lat], two numbers; got {value}", where=where, value=repr(value)))
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        given = f"[{lon:g}, {lat:g}]"
        raise ValueError(tr("{where} {value} is out of range: lon must be in [-180, 180], lat in [-90, 90]", where=where, value=given))
    return [lon, lat]
